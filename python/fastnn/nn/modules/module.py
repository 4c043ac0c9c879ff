"""torch.nn.modules.module's names: Module and the hooks every module's forward runs."""
from fastnn.nn.hooks import register_module_forward_hook, register_module_forward_pre_hook
from fastnn.nn.module import Module

__all__ = ["Module", "register_module_forward_hook", "register_module_forward_pre_hook"]
