"""The graph network of Bapst et al. (2020), layer for layer, and the import of its released weights.

:class:`BapstGN` is the network of Bapst et al., "Unveiling the predictive power of static structure
in glassy systems", Nature Physics 16, 448 (2020), layer for layer:

- encoder: node MLP 1->64->64 on the type, edge MLP 3->64->64 on the displacement (ReLU after every
  layer, the last included);
- core: one graph-network block whose weights are shared over 7 steps; its input at each step is
  concat(current, encoded) on nodes and edges (128 each). Edge MLP on [edge, receiver, sender]
  (384->64->64), sum of incoming edges per node, node MLP on [sum, node] (192->64->64);
- decoder: node MLP 64->64->64->n_outputs, linear output.

Deviations: none in the function. For speed the first layer of each core MLP is evaluated in pieces
(the receiver and sender parts are computed per node before the gather, and the parts acting on the
encoded features, which do not change between steps, are computed once). This is the same linear
map, summed in a different order. The unused decoder edge MLP of the published code is left out.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ..core import ModelError
from ..graph import Graph, build_graph
from .base import Architecture, GlassModel, pick_device, predict_tensors

__all__ = ["ModelConfig", "BapstGN", "graph_to_tensors", "import_bapst_weights", "ARCHITECTURE"]


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a :class:`BapstGN` (the defaults are the published network).

    Attributes:
        hidden: width of every MLP layer.
        mlp_layers: layers per encoder and core MLP (the decoder has one more, linear).
        steps: message-passing steps of the shared core.
        n_outputs: one output per predicted timescale.
        r_cut: graph cutoff (sigma) the network was trained with.
    """

    hidden: int = 64
    mlp_layers: int = 2
    steps: int = 7
    n_outputs: int = 1
    r_cut: float = 2.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _mlp(sizes: list[int], activate_final: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or activate_final:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _tail(mlp: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Apply everything after the first Linear layer of an MLP."""
    for layer in list(mlp)[1:]:
        x = layer(x)
    return x


def graph_to_tensors(graph: Graph, device=None) -> dict[str, torch.Tensor]:
    """The tensors the network reads from a :class:`~glassnet.graph.Graph`."""
    dev = pick_device(device) if device is None or isinstance(device, str) else device
    return {
        "nodes": torch.as_tensor(graph.nodes, dtype=torch.float32, device=dev).unsqueeze(-1),
        "edges": torch.as_tensor(graph.edges, dtype=torch.float32, device=dev),
        "senders": torch.as_tensor(graph.senders, dtype=torch.long, device=dev),
        "receivers": torch.as_tensor(graph.receivers, dtype=torch.long, device=dev),
    }


class BapstGN(GlassModel):
    """The graph network of Bapst et al. (2020); see the module docstring.

    Args:
        config: :class:`ModelConfig` (defaults: the published network, 62,401 parameters).

    Call it on the tensors of :func:`graph_to_tensors`; it returns (N, n_outputs) predictions
    (in the units of the targets it was trained on, before any de-normalisation).
    """

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        h, k = config.hidden, config.mlp_layers
        if h < 1 or k < 1 or config.steps < 0 or config.n_outputs < 1:
            raise ModelError(f"invalid model config {config}")
        self.config = config
        self.node_encoder = _mlp([1] + [h] * k, activate_final=True)
        self.edge_encoder = _mlp([3] + [h] * k, activate_final=True)
        self.core_edge = _mlp([6 * h] + [h] * k, activate_final=True)   # [edge, receiver, sender]
        self.core_node = _mlp([3 * h] + [h] * k, activate_final=True)   # [sum of edges, node]
        self.decoder = _mlp([h] * (k + 1) + [config.n_outputs], activate_final=False)

    #: the network alone is not invariant under rotations (trained with random cube symmetries)
    invariant = False
    needs_inherent = False

    def tensors(self, positions, types, box, inherent=None, device=None, temperature=None,
                times=None, cache=None) -> dict[str, torch.Tensor]:
        """The input tensors of one configuration (the periodic graph; ``inherent``, ``temperature`` and
        ``cache`` are unused)."""
        if times is not None:
            raise ModelError("this network predicts at the fixed times it was trained on; it takes no times")
        dev = device or self.device
        return graph_to_tensors(build_graph(positions, types, box, self.config.r_cut), dev)

    @staticmethod
    def transform(t: dict, m: torch.Tensor) -> dict:
        """The inputs with a 3x3 orthogonal map applied to every vector (the edge vectors)."""
        return {**t, "edges": t["edges"] @ m.T}

    def forward(self, nodes: torch.Tensor, edges: torch.Tensor, senders: torch.Tensor,
                receivers: torch.Tensor, max_steps: int | None = None) -> torch.Tensor:
        """Predict per-node outputs.

        Args:
            nodes: (N, 1) float types.
            edges: (E, 3) float displacements receiver - sender (sigma).
            senders, receivers: (E,) int64 node indices.
            max_steps: run only this many core steps (default: config.steps).

        Returns:
            (N, n_outputs) float predictions.
        """
        h = self.config.hidden
        n = nodes.shape[0]
        node_enc = self.node_encoder(nodes)
        edge_enc = self.edge_encoder(edges)
        # First core layers split into blocks acting on each piece of the concatenated input.
        w_e = self.core_edge[0].weight            # (h, 6h): [edge_cur, edge_enc, recv_cur, recv_enc, send_cur, send_enc]
        w_n = self.core_node[0].weight            # (h, 3h): [sum_edges, node_cur, node_enc]
        e_cur_w, e_enc_w, r_cur_w, r_enc_w, s_cur_w, s_enc_w = w_e.split(h, dim=1)
        n_sum_w, n_cur_w, n_enc_w = w_n.split(h, dim=1)
        edge_const = edge_enc @ e_enc_w.T + self.core_edge[0].bias
        recv_const = node_enc @ r_enc_w.T
        send_const = node_enc @ s_enc_w.T
        node_const = node_enc @ n_enc_w.T + self.core_node[0].bias
        node_x, edge_x = node_enc, edge_enc
        steps = self.config.steps if max_steps is None else max_steps
        for _ in range(steps):
            recv = torch.addmm(recv_const, node_x, r_cur_w.T)
            send = torch.addmm(send_const, node_x, s_cur_w.T)
            # in-place sums on fresh (E, h) buffers: large temporaries are what costs here
            pre = torch.addmm(edge_const, edge_x, e_cur_w.T)
            pre += recv.index_select(0, receivers)
            pre += send.index_select(0, senders)
            edge_x = _tail(self.core_edge, pre)
            summed = torch.zeros(n, h, dtype=edge_x.dtype, device=edge_x.device)
            summed.index_add_(0, receivers, edge_x)
            pre_n = torch.addmm(node_const, summed, n_sum_w.T)
            pre_n += node_x @ n_cur_w.T
            node_x = _tail(self.core_node, pre_n)
        return self.decoder(node_x)

    def forward_literal(self, nodes, edges, senders, receivers) -> torch.Tensor:
        """The same function as :meth:`forward`, written as the paper states it (concatenate, then
        apply each MLP). Slower; kept as the reference the fast path is tested against."""
        node_enc, edge_enc = self.node_encoder(nodes), self.edge_encoder(edges)
        node_x, edge_x = node_enc, edge_enc
        for _ in range(self.config.steps):
            node_in = torch.cat([node_x, node_enc], -1)
            edge_in = torch.cat([edge_x, edge_enc], -1)
            edge_x = self.core_edge(torch.cat([edge_in, node_in[receivers], node_in[senders]], -1))
            summed = torch.zeros(node_x.shape[0], edge_x.shape[1], dtype=edge_x.dtype,
                                 device=edge_x.device).index_add_(0, receivers, edge_x)
            node_x = self.core_node(torch.cat([summed, node_in], -1))
        return self.decoder(node_x)

    def predict_graph(self, graph: Graph, symmetrize: bool = False) -> np.ndarray:
        """Predict (N, n_outputs) float64 outputs for one graph (no gradients).

        With ``symmetrize=True`` the prediction is averaged over the 48 cube symmetries of the edge
        vectors, which makes it exactly invariant under them (the network alone is not).
        """
        return predict_tensors(self, graph_to_tensors(graph, self.device), symmetrize)


# TF variable prefixes of the published checkpoint -> our MLPs
_BAPST_NAMES = {
    "node_encoder": "Graph/graph_independent/node_model/mlp",
    "edge_encoder": "Graph/graph_independent/edge_model/mlp",
    "core_edge": "Graph/graph_network/edge_block/mlp",
    "core_node": "Graph/graph_network/node_block/mlp",
    "decoder": "Graph/graph_independent_1/node_model/mlp",
}


def import_bapst_weights(tensors: dict[str, np.ndarray]) -> BapstGN:
    """Build a :class:`BapstGN` from the variables of the published TensorFlow checkpoint.

    Args:
        tensors: name -> array, as read by :func:`glassnet.formats.tfbundle.read_tf_bundle`.

    Raises:
        ModelError: a variable is missing or has a shape the published architecture does not have.
    """
    w0 = tensors.get(_BAPST_NAMES["node_encoder"] + "/linear_0/w")
    if w0 is None:
        raise ModelError("not a Bapst et al. checkpoint: no variable "
                         f"{_BAPST_NAMES['node_encoder']}/linear_0/w")
    hidden = w0.shape[1]
    layers = sum(1 for k in tensors if k.startswith(_BAPST_NAMES["node_encoder"] + "/linear_")
                 and k.endswith("/w"))
    n_out = tensors[f"{_BAPST_NAMES['decoder']}/linear_{layers}/w"].shape[1]
    model = BapstGN(ModelConfig(hidden=hidden, mlp_layers=layers, steps=7, n_outputs=n_out))
    with torch.no_grad():
        for attr, prefix in _BAPST_NAMES.items():
            linears = [m for m in getattr(model, attr) if isinstance(m, nn.Linear)]
            for i, lin in enumerate(linears):
                w = tensors.get(f"{prefix}/linear_{i}/w")
                b = tensors.get(f"{prefix}/linear_{i}/b")
                if w is None or b is None:
                    raise ModelError(f"checkpoint lacks {prefix}/linear_{i}")
                if w.T.shape != tuple(lin.weight.shape) or b.shape != tuple(lin.bias.shape):
                    raise ModelError(f"{prefix}/linear_{i}: shape {w.shape} does not fit "
                                     f"{tuple(lin.weight.T.shape)}")
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                lin.bias.copy_(torch.from_numpy(b))
    return model


#: the published recipe: Adam 1e-4, constant, MSE on A, targets standardised with the pooled training A
#: particles, random cube symmetries (the network is not invariant)
ARCHITECTURE = Architecture(
    "bapst", BapstGN, ModelConfig,
    recipe={"lr": 1e-4, "schedule": "constant", "warmup": 0, "normalize": "global", "loss_types": (0,),
            "weight_decay": 0.0},
    description="the published network of Bapst et al. (2020)",
    aliases={"mp_steps": "steps"})
