#include "layers/registrations.hpp"
#include "layers/rnn/recurrent.hpp"
#include "layers/rnn/wrappers.hpp"

namespace keras::detail {

void register_rnn_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("SimpleRNNCell", SimpleRNNCellImpl::from_config);
  r.add("LSTMCell", LSTMCellImpl::from_config);
  r.add("GRUCell", GRUCellImpl::from_config);
  r.add("StackedRNNCells", StackedRNNCellsImpl::from_config);
  r.add("RNN", RNNImpl::from_config);
  r.add("SimpleRNN", SimpleRNNImpl::from_config);
  r.add("LSTM", LSTMImpl::from_config);
  r.add("GRU", GRUImpl::from_config);
  r.add("ConvLSTM1D", [](const Json& c) { return ConvLSTMImpl::from_config(1, c); });
  r.add("ConvLSTM2D", [](const Json& c) { return ConvLSTMImpl::from_config(2, c); });
  r.add("ConvLSTM3D", [](const Json& c) { return ConvLSTMImpl::from_config(3, c); });
  r.add("Bidirectional", BidirectionalImpl::from_config);
  r.add("TimeDistributed", TimeDistributedImpl::from_config);
}

}  // namespace keras::detail
