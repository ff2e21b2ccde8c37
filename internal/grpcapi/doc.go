// Package grpcapi serves the Clarifai V2 service and the Clavis admin
// service over gRPC: the interceptor chain that authenticates and authorizes
// every call, the mapping of domain errors to in-band statuses, and one file
// per area of handlers.
package grpcapi
