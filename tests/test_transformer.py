"""nn.Transformer family: PyTorch's state_dict keys, parity with torch (weights loaded from it) for
post-/pre-norm, relu/gelu/callable activations and masks, float64 gradcheck, is_causal, errors."""
import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.nn import functional as F
from fastnn.testing import gradcheck

try:
    import torch
except ImportError:  # CI's test venv has no torch: the parity tests skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def test_generate_square_subsequent_mask():
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    assert mask.dtype == np.float32
    assert mask.tolist() == [[0.0, -np.inf, -np.inf], [0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]]


def test_encoder_layer_state_dict_keys_are_pytorchs():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    assert list(layer.state_dict()) == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
        "norm2.weight", "norm2.bias"]
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    assert "layers.1.linear2.bias" in encoder.state_dict() and "norm.weight" in encoder.state_dict()
    no_bias = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, bias=False)
    assert not any(key.endswith("bias") for key in no_bias.state_dict())


@needs_torch
@pytest.mark.parametrize("norm_first", [False, True], ids=["post_norm", "pre_norm"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_transformer_matches_torch(norm_first, activation, batch_first):
    torch.manual_seed(0)
    kwargs = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                  activation=activation, batch_first=batch_first, norm_first=norm_first)
    with pytest.warns(UserWarning) if norm_first else _nothing():
        theirs = torch.nn.Transformer(**kwargs).double().eval()
    ours = nn.Transformer(**kwargs).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    src, tgt = rng.standard_normal((3, 5, 8)), rng.standard_normal((3, 4, 8))
    if not batch_first:
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    padding = np.zeros((3, 5), bool)
    padding[1, 3:] = True
    expected = theirs(torch.tensor(src), torch.tensor(tgt),
                      tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4).double(),
                      src_key_padding_mask=torch.tensor(padding), memory_key_padding_mask=torch.tensor(padding))
    got = ours(fastnn.tensor(src), fastnn.tensor(tgt),
               tgt_mask=nn.Transformer.generate_square_subsequent_mask(4, dtype=np.float64),
               src_key_padding_mask=fastnn.tensor(padding), memory_key_padding_mask=fastnn.tensor(padding))
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@needs_torch
def test_encoder_layer_with_callable_activation_matches_torch():
    torch.manual_seed(2)
    theirs = torch.nn.TransformerEncoderLayer(6, 3, 12, dropout=0.0, activation=torch.tanh).double().eval()
    ours = nn.TransformerEncoderLayer(6, 3, 12, dropout=0.0, activation=fastnn.tanh).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((4, 2, 6))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4).double()
    expected = theirs(torch.tensor(x), src_mask=mask, is_causal=True).detach().numpy()
    np.testing.assert_allclose(ours(fastnn.tensor(x), is_causal=True).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_is_causal_without_mask_equals_the_explicit_mask():
    fastnn.manual_seed(4)
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()
    rng = np.random.default_rng(5)
    tgt, memory = fastnn.tensor(rng.standard_normal((2, 5, 8))), fastnn.tensor(rng.standard_normal((2, 3, 8)))
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=np.float64)
    np.testing.assert_allclose(layer(tgt, memory, tgt_is_causal=True).numpy(), layer(tgt, memory, tgt_mask=mask).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_encoder_gradcheck_float64():
    fastnn.manual_seed(6)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=True).double()
    encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4).double())
    x = fastnn.tensor(np.random.default_rng(7).standard_normal((3, 2, 4)), requires_grad=True)
    weight = encoder.layers[0].linear1.weight
    assert gradcheck(lambda x, w: encoder(x, is_causal=True), (x, weight), atol=1e-8, rtol=1e-6)


def test_transformer_trains_and_copies_layers():
    fastnn.manual_seed(8)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                           dropout=0.1, batch_first=True)
    first, second = model.encoder.layers[0], nn.TransformerEncoder(model.encoder.layers[0], 2).layers
    assert second[0] is not first and second[0].linear1.weight is not first.linear1.weight
    optimizer = fastnn.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(9)
    src = fastnn.tensor(rng.standard_normal((4, 6, 8)).astype(np.float32))
    target = fastnn.tensor(rng.standard_normal((4, 5, 8)).astype(np.float32))
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = F.mse_loss(model(src, target, tgt_is_causal=True), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_transformer_errors():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    src = fastnn.tensor(np.zeros((5, 2, 8), np.float32))
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(src, fastnn.tensor(np.zeros((4, 3, 8), np.float32)))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(src, fastnn.tensor(np.zeros((4, 2, 6), np.float32)))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
