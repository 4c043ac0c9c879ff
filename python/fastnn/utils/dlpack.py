"""torch.utils.dlpack's import path: from_dlpack (fastnn.from_dlpack) and to_dlpack."""
from fastnn.creation import from_dlpack

__all__ = ["from_dlpack", "to_dlpack"]


def to_dlpack(tensor):
    """A DLPack capsule of the tensor's memory (no copy), for a consumer that takes capsules."""
    return tensor.__dlpack__()
