"""The default random generator: fn.manual_seed seeds everything fastnn draws (initialisation,
rand/randn, shuffling, dropout masks)."""
import numpy as np

_DEFAULT_SEED = 67280421310721


class Generator:
    """A seeded source of random numbers (PCG64), like torch.Generator."""

    def __init__(self, seed=None):
        self.manual_seed(_DEFAULT_SEED if seed is None else seed)

    def manual_seed(self, seed):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.numpy = np.random.Generator(np.random.PCG64(self._seed & (2**128 - 1)))
        return self

    def initial_seed(self):
        return self._seed

    def next_seed(self):
        """A fresh 63-bit seed, e.g. for one call of a counter-based RNG kernel (dropout)."""
        return int(self.numpy.integers(0, 2**63 - 1))


default_generator = Generator()


def manual_seed(seed):
    """Seeds the default generator; returns it."""
    return default_generator.manual_seed(seed)


def initial_seed():
    return default_generator.initial_seed()


def generator_or_default(generator):
    return default_generator if generator is None else generator
