// Package clientaddr finds the address of a request's client behind
// trusted reverse proxies, from X-Forwarded-For.
package clientaddr
