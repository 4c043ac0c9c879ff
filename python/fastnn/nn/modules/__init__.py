"""torch.nn.modules' import paths: `fastnn.nn.modules.<Layer>` (every Module class of fastnn.nn)
and `fastnn.nn.modules.module` (Module and the module-global forward hooks), for programs that
import from there."""
import fastnn.nn as _nn
from fastnn.nn.modules import module

_LAYERS = {name: value for name, value in vars(_nn).items()
           if isinstance(value, type) and issubclass(value, _nn.Module)}
globals().update(_LAYERS)
__all__ = sorted(_LAYERS) + ["module"]
