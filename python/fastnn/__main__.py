"""Command line: python -m fastnn info | demo | bench."""
import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn", description="fastnn command line")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print the build and run-time configuration")
    from fastnn.benchmarks import cli  # light: NumPy and fastnn only until a benchmark runs

    cli.add_arguments(commands.add_parser("bench", help="kernel and training benchmarks against NumPy and PyTorch"))
    from fastnn import demo

    demo.add_arguments(commands.add_parser("demo", help="train a CNN on Fashion-MNIST (offline), print test "
                                                        "accuracy and images/s"))
    args = parser.parse_args(argv)

    if args.command == "info":
        import fastnn

        fastnn.show_config()
    elif args.command == "bench":
        return cli.run_from_args(args)
    elif args.command == "demo":
        demo.run(args.epochs, args.batch_size, args.sample, args.seed, device=args.device, train_size=args.train_size,
                 test_size=args.test_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
