"""fastnn.utils: PyTorch's import paths. `fastnn.utils.data` is fastnn.data itself (the same
module object, as are its submodules), so `from fastnn.utils.data import DataLoader` and
`from fastnn.utils.data.dataset import Subset` give the very classes fastnn.data has."""
import sys

from fastnn import data

for _name, _module in list(sys.modules.items()):
    if _name == "fastnn.data" or _name.startswith("fastnn.data."):
        sys.modules["fastnn.utils" + _name[len("fastnn"):]] = _module
del _name, _module
