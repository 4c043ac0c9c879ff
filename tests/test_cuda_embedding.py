"""Embedding lookup and gradient on every backend (cpu, cuda_emu under two schedules, cuda on a
GPU) against the float64 reference: widths below and above one block (256 columns), more rows
than fit one grid row, repeated ids, padding_idx, poisoned outputs; ids checked on the device
with the CPU module's error; the gradient equal to the CPU kernel's (the same order of sums)."""
import numpy as np
import pytest
import reference
from fastnn import _backend
from helpers import random_array, relative_error, rng


# V = 300: more vocabulary rows than the backward's 256 slices (slices of 1 and 2 rows)
@pytest.mark.parametrize("v,d,ids_shape", [(1, 1, (3,)), (7, 17, (4, 5)), (33, 300, (2, 3, 7)), (100, 3, (257,)),
                                          (300, 3, (41,))])
def test_forward_and_backward_match_the_reference(backend, v, d, ids_shape, dtype):
    weight = random_array((v, d), dtype)
    ids = rng(1).integers(0, v, ids_shape)
    out = backend.kernels.embedding_forward(backend.device(weight), backend.device(ids),
                                            out=backend.poisoned(ids_shape + (d,), dtype))
    assert np.array_equal(backend.host(out), reference.embedding_forward(weight, ids).astype(dtype))
    grad_out = random_array(ids_shape + (d,), dtype, seed=2)
    padding_idx = v // 2
    grad = backend.host(backend.kernels.embedding_backward(backend.device(grad_out), backend.device(ids), v,
                                                           padding_idx, out=backend.poisoned((v, d), dtype)))
    expected = reference.embedding_backward(grad_out, ids, v, padding_idx)
    assert relative_error(grad, expected) <= (1e-12 if dtype == np.float64 else 1e-6)
    assert not grad[padding_idx].any()
    assert np.array_equal(grad, _backend.cpu.embedding_backward(grad_out, ids, v, padding_idx))


def test_out_of_range_ids_are_found_on_the_device(backend):
    weight = backend.device(random_array((5, 4)))
    first = r"index 5 \(at flat position 2 of indices\) is out of range: expected 0 <= index < num_embeddings = 5"
    for ids, message in [(np.array([0, 4, 5, 7]), first),
                         (np.array([[1, 2], [-1, 9]]), r"index -1 \(at flat position 2 of indices\)")]:
        with pytest.raises(ValueError, match=message):
            backend.kernels.embedding_forward(weight, backend.device(ids))
        grad_out = backend.device(random_array(ids.shape + (4,)))
        with pytest.raises(ValueError, match=message):
            backend.kernels.embedding_backward(grad_out, backend.device(ids), 5)
