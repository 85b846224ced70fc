//! The message handlers: [`ack`] (the side message `MsgCheckpointAck`) and [`no_ack`]
//! (`MsgCheckpointNoAck`, which needs the active set from the app, so it is not a
//! [`delivery_module::MsgHandler`]: the app calls [`no_ack::check`] and [`no_ack::execute`]).

pub mod ack;
pub mod no_ack;
