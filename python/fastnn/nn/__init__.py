"""fastnn.nn: modules, layers, losses, nn.functional (F), nn.init and nn.utils, as in torch.nn."""
from fastnn.nn import functional, init, parallel, utils
from fastnn.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid, Softmax, Softplus, Tanh
from fastnn.nn.containers import ModuleDict, ModuleList, Sequential
from fastnn.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from fastnn.nn.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, FeatureAlphaDropout
from fastnn.nn.flatten import Flatten, Unflatten
from fastnn.nn.linear import Identity, Linear
from fastnn.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, GaussianNLLLoss, HuberLoss, KLDivLoss,
                            L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from fastnn.nn.module import Module
from fastnn.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from fastnn.nn.sync_batchnorm import SyncBatchNorm
from fastnn.nn.group_norm import GroupNorm, InstanceNorm1d, InstanceNorm2d
from fastnn.nn.parameter import Parameter
from fastnn.nn.attention import MultiheadAttention
from fastnn.nn.sparse import Embedding
from fastnn.nn.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell, RNNBase, RNNCellBase
from fastnn.nn.pooling import (AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, MaxUnpool1d, MaxUnpool2d,
                               Upsample, UpsamplingBilinear2d, UpsamplingNearest2d)
from fastnn.nn.padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
                               ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                               ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from fastnn.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from fastnn.nn.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                                   TransformerEncoderLayer)
