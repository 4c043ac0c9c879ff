"""Dropout: zeroes each element with probability p in training mode and scales the rest by
1 / (1 - p); the identity in eval mode (F.dropout decides from `training`)."""
from fastnn.nn import functional as F
from fastnn.nn.module import Module


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class _FeatureDropout(Dropout):
    function = None

    def forward(self, input):
        return type(self).function(input, self.p, self.training, self.inplace)


class Dropout1d(_FeatureDropout):
    """Zeroes whole channels of [N, C, L] (or [C, L]) with probability p while training."""

    function = staticmethod(F.dropout1d)


class Dropout2d(_FeatureDropout):
    """Zeroes whole channels of [N, C, H, W] (or [C, H, W]) with probability p while training."""

    function = staticmethod(F.dropout2d)


class AlphaDropout(_FeatureDropout):
    """Dropout that keeps SELU activations' mean and variance (F.alpha_dropout)."""

    function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_FeatureDropout):
    """AlphaDropout of whole channels (F.feature_alpha_dropout)."""

    function = staticmethod(F.feature_alpha_dropout)
