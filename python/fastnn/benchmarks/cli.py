"""`python -m fastnn bench [SUITE ...]` and the bench/bench_*.py scripts: one command line for
every benchmark suite. Each suite module provides `run(quick=..., **options)` -> result dict and
`markdown(result)`; a suite with options of its own also provides `add_options(parser)` and
`options(args)` (the keyword arguments its `run` takes from them)."""
import argparse
import importlib
import inspect
import json

SUITES = ("gemm", "training", "cnn", "breakdown", "conv", "models", "pool", "rnn", "attention", "distributed")


def _module(name):
    return importlib.import_module(f"fastnn.benchmarks.{name}")


def add_arguments(parser, suites=SUITES):
    parser.add_argument("suites", nargs="*", metavar="SUITE",
                        help=f"what to benchmark: {', '.join(suites)} or all (default: {suites[0]})")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    parser.add_argument("--threads", type=int, nargs="+", metavar="N",
                        help="thread counts to run (default: each suite's own, usually 1 and 2)")
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="Fashion-MNIST epochs per library in the training and cnn suites (0 skips)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--clock", choices=["wall", "cpu"],
                        help="wall time (default), or CPU time of the calling thread: 1 thread only, robust to "
                             "load (the conv and models suites)")
    for name in suites:
        module = _module(name)
        if hasattr(module, "add_options"):
            module.add_options(parser.add_argument_group(f"{name} options"))


def run_from_args(args):
    unknown = sorted(set(args.suites) - set(SUITES) - {"all"})
    if unknown:
        raise SystemExit(f"unknown benchmark suite(s) {', '.join(unknown)}; expected {', '.join(SUITES)} or all")
    names = list(SUITES) if "all" in args.suites else (args.suites or ["gemm"])
    results = {}
    for name in names:
        module = _module(name)
        options = module.options(args) if hasattr(module, "options") else {}
        parameters = inspect.signature(module.run).parameters
        if args.threads and "thread_counts" in parameters:
            options["thread_counts"] = args.threads
        if args.clock:
            if "clock" not in parameters:
                raise SystemExit(f"the {name} suite has no --clock option")
            options["clock"] = args.clock
        print(f"\n## {name}\n", flush=True)
        results[name] = module.run(quick=args.quick, **options)
        print()
        print(module.markdown(results[name]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results if len(results) > 1 else results[names[0]], f, indent=1)
    return 0


def main(suite, argv=None):
    """The bench/bench_<suite>.py scripts: the same options, for one suite."""
    parser = argparse.ArgumentParser(prog=f"bench_{suite}", description=_module(suite).__doc__.splitlines()[0])
    add_arguments(parser, suites=(suite,))
    args = parser.parse_args(argv)
    args.suites = [suite]
    return run_from_args(args)
