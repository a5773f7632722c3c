#include "keras/saving.hpp"
#include "layers/registrations.hpp"
#include "layers/rnn/recurrent.hpp"
#include "layers/rnn/wrappers.hpp"

namespace keras::detail {

void register_rnn_layers() {
  saving::register_layer("keras.layers", "SimpleRNNCell", SimpleRNNCellImpl::from_config);
  saving::register_layer("keras.layers", "LSTMCell", LSTMCellImpl::from_config);
  saving::register_layer("keras.layers", "GRUCell", GRUCellImpl::from_config);
  saving::register_layer("keras.layers", "StackedRNNCells", StackedRNNCellsImpl::from_config);
  saving::register_layer("keras.layers", "RNN", RNNImpl::from_config);
  saving::register_layer("keras.layers", "SimpleRNN", SimpleRNNImpl::from_config);
  saving::register_layer("keras.layers", "LSTM", LSTMImpl::from_config);
  saving::register_layer("keras.layers", "GRU", GRUImpl::from_config);
  saving::register_layer("keras.layers", "ConvLSTM1D", [](const Json& c) { return ConvLSTMImpl::from_config(1, c); });
  saving::register_layer("keras.layers", "ConvLSTM2D", [](const Json& c) { return ConvLSTMImpl::from_config(2, c); });
  saving::register_layer("keras.layers", "ConvLSTM3D", [](const Json& c) { return ConvLSTMImpl::from_config(3, c); });
  saving::register_layer("keras.layers", "Bidirectional", BidirectionalImpl::from_config);
  saving::register_layer("keras.layers", "TimeDistributed", TimeDistributedImpl::from_config);
}

}  // namespace keras::detail
