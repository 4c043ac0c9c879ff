"""DistributedSampler (in this process) and fit on 2 and 3 MPI ranks (tests/mpi_programs/fit_ranks.py):
padding not counted in the metrics, drop_last, rank 0 deciding EarlyStopping and writing
checkpoints, uneven ranks, a failing rank, checkpoint save and resume."""
import numpy as np
import pytest

import fastnn as fn
from fastnn.data import DataLoader, DistributedSampler, TensorDataset
from mpi_harness import mpirun, run_ok, skip_without_mpi


def shards(n, world, **options):
    return [list(DistributedSampler(range(n), num_replicas=world, rank=r, **options)) for r in range(world)]


def test_sharding_padding_and_drop_last_as_pytorch():
    assert shards(11, 3, shuffle=False) == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 0]]
    assert shards(11, 3, shuffle=False, drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert shards(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]  # more ranks than samples: repeats
    sampler = DistributedSampler(range(11), num_replicas=3, rank=2, shuffle=False)
    assert (len(sampler), sampler.total_size, sampler.num_real_samples) == (4, 12, 3)
    assert [DistributedSampler(range(11), 3, r, drop_last=True).num_real_samples for r in range(3)] == [3, 3, 3]


@pytest.mark.parametrize("n", [1, 2, 7, 12, 13])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_equals_torch_without_shuffle(n, world, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(world):
        theirs = torch_data.DistributedSampler(range(n), world, rank, shuffle=False, drop_last=drop_last)
        ours = DistributedSampler(range(n), world, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        expected_real = sum(1 for i in range(rank, ours.total_size, world) if i < n)
        assert ours.num_real_samples == expected_real


def test_shuffle_is_the_same_permutation_on_every_rank_and_new_each_epoch():
    samplers = [DistributedSampler(range(10), 2, r, seed=3) for r in range(2)]
    first = [list(s) for s in samplers]
    assert sorted(first[0] + first[1]) == list(range(10)) and first[0] != list(range(0, 10, 2))
    assert [list(s) for s in samplers] == first  # the same epoch again: the same order
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and sorted(second[0] + second[1]) == list(range(10))
    assert list(DistributedSampler(range(10), 2, 0, seed=4)) != first[0]


def test_sampler_arguments_are_checked():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)
    with pytest.raises(TypeError, match="epoch"):
        DistributedSampler(range(4), 2, 0).set_epoch("1")
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_a_sampler_of_one_replica_is_the_whole_dataset_in_fit():
    x = np.random.default_rng(0).standard_normal((9, 3))
    data = TensorDataset(fn.tensor(x), fn.tensor(x.sum(1, keepdims=True)))
    loader = DataLoader(data, batch_size=4, sampler=DistributedSampler(data, num_replicas=1, rank=0))
    fn.manual_seed(0)
    model = fn.nn.Linear(3, 1).double()
    history = fn.fit(model, fn.nn.MSELoss(), fn.optim.SGD(model.parameters(), lr=0.1), loader, epochs=2,
                     metrics=["mae"], progress=False)
    assert len(history["loss"]) == 2 and round(history["samples_per_s"][0] * history["time"][0]) == 9



@pytest.mark.parametrize("ranks", [2, 3])
@skip_without_mpi()
@pytest.mark.mpi
def test_fit_on_ranks_logs_like_one_process(ranks):
    result = run_ok("fit_ranks.py", "metrics", np=ranks)
    assert result.stdout.count("Epoch 1/3") == 2, result  # two fits with progress, printed by rank 0 only


@skip_without_mpi()
@pytest.mark.mpi
def test_ranks_with_different_batch_counts_stop_with_an_error_not_a_hang():
    result = mpirun("fit_ranks.py", "uneven", np=2, timeout=60)
    assert result.returncode != 0 and "different numbers of training batches" in result.stderr, result
    assert "{0: 2, 1: 3}" in result.stderr


@skip_without_mpi()
@pytest.mark.mpi
def test_a_rank_failing_inside_fit_aborts_the_job():
    result = mpirun("fit_ranks.py", "fail", np=2, timeout=60)
    assert result.returncode != 0 and "rank 0 OK" not in result.stdout, result
    assert "[rank 1] OSError: deliberate failure while loading sample 3" in result.stderr, result
    assert result.stderr.count("Traceback") == 1, result


@skip_without_mpi()
@pytest.mark.mpi
def test_checkpoint_written_by_rank_0_and_resumed_on_2_ranks(tmp_path):
    run_ok("fit_ranks.py", "save", tmp_path, np=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt_1.safetensors", "ckpt_2.safetensors"]
    run_ok("fit_ranks.py", "resume", tmp_path, np=2)
