"""Data-parallel training on several processes (MPI): the Fashion-MNIST CNN of example 12 on N ranks.

Each rank holds the same model (DistributedDataParallel broadcasts rank 0's weights), trains on
its own shard of every epoch (fit shards the data with a DistributedSampler) and backward leaves
the gradients averaged over the ranks, so all ranks take the same steps: N ranks with batch B
each train like one process with batch N*B. With --batch-norm the BatchNorm layers become
SyncBatchNorm (statistics of the whole batch across the ranks). The loss and accuracy printed are
those of the whole data set (summed over the ranks); rank 0 prints and writes the checkpoint.

    mpirun -np 2 python examples/19_data_parallel.py [--epochs 1] [--batch-size 64] [--batch-norm]
        [--train-size N] [--test-size N] [--device cuda]
    srun -n 8 python examples/19_data_parallel.py          # under SLURM
    python examples/19_data_parallel.py                    # one process: the same script, serially
Needs `pip install 'fastnn[mpi]'` (mpi4py and Open MPI) for more than one rank. With --device cuda
every rank trains on its 'cuda' device (give each rank its own GPU, e.g. with CUDA_VISIBLE_DEVICES);
the gradients are averaged through host memory.
"""
import argparse
import os
import time

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.demo import add_device_argument, build_cnn, load_fashion_mnist_or_sample, where
from fastnn.nn.parallel import DistributedDataParallel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    parser.add_argument("--batch-size", type=int, default=64, help="mini-batch size per rank (default 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--batch-norm", action="store_true", help="SyncBatchNorm after each convolution")
    parser.add_argument("--train-size", type=int, help="train on the first N images only (default: all)")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample even if the full set is found")
    parser.add_argument("--out", default=".", help="directory for the checkpoint (default .)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-size", type=int, help="test on the first N images only (default: all)")
    add_device_argument(parser)
    args = parser.parse_args(argv)

    dist.init_process_group()  # from mpirun/srun's environment; one rank without a launcher
    rank, world = dist.get_rank(), dist.get_world_size()
    try:
        fn.manual_seed(args.seed)
        (x_train, y_train), test, is_full = load_fashion_mnist_or_sample(args.sample, flatten=False)
        train = (x_train[:args.train_size], y_train[:args.train_size])
        test = tuple(t[:args.test_size] for t in test)
        model = build_cnn(batch_norm=args.batch_norm).to(args.device)
        if args.batch_norm:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        model = DistributedDataParallel(model)
        if rank == 0:
            print(f"Fashion-MNIST ({'full set' if is_full else 'bundled sample'}): {len(train[0]):,} training "
                  f"images on {world} rank(s), batch {args.batch_size} per rank ({args.batch_size * world} in all), "
                  f"{where(args.device)} per rank", flush=True)
        optimizer = fn.optim.Adam(model.parameters(), lr=args.lr)
        os.makedirs(args.out, exist_ok=True)
        checkpoint = os.path.join(args.out, "19_data_parallel.safetensors")
        start = time.perf_counter()
        history = fn.fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=args.epochs,
                         batch_size=args.batch_size, val_data=test,
                         callbacks=[fn.ModelCheckpoint(checkpoint, monitor="val_loss")])
        seconds = time.perf_counter() - start
        if rank == 0:
            print(f"test accuracy {history['val_accuracy'][-1]:.4f} after {args.epochs} epoch(s) in {seconds:.1f} s "
                  f"on {world} rank(s); best weights in {checkpoint} (keys 'module.*', load them into a "
                  f"DistributedDataParallel, or strip the prefix for the bare model)", flush=True)
        return {"history": history, "test_accuracy": history["val_accuracy"][-1], "world_size": world,
                "checkpoint": checkpoint, "seconds": seconds}
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
