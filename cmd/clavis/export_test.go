package main

// HoldModelLoads holds back the load of srv's models, which Start begins,
// until release is called: tests see the server as it is just after its
// start, with the models loading. Call it before Start; release must be
// called before srv.Close.
func HoldModelLoads(srv *Server) (release func()) {
	srv.holdModels = make(chan struct{})
	return func() { close(srv.holdModels) }
}
