"""fastnn: a small, fast deep-learning library with hand-written C++/SIMD kernels."""
from fastnn._config import get_num_threads, set_num_threads, show_config
from fastnn import kernels

__version__ = "0.1.0"

__all__ = ["__version__", "get_num_threads", "set_num_threads", "show_config", "kernels"]
