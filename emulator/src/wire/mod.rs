//! Wire codecs (XML-RPC, JSON-RPC) and the error dialects they render.
