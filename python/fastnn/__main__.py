"""Command line: python -m fastnn info | bench."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn", description="fastnn command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print the build and run-time configuration")
    args = parser.parse_args(argv)

    if args.command == "info":
        import fastnn

        fastnn.show_config()
    return 0


if __name__ == "__main__":
    sys.exit(main())
