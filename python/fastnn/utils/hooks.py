"""RemovableHandle: what register_*hook returns, as torch.utils.hooks.RemovableHandle."""
import weakref


class RemovableHandle:
    """remove() takes the hook with this handle's `id` out of the dicts it was registered in (the
    hooks dict and any extra dicts, e.g. the with_kwargs flags); also a context manager that
    removes the hook on exit."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        extras = extra_dict if isinstance(extra_dict, list) else [] if extra_dict is None else [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None and self.id in hooks:
                del hooks[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
