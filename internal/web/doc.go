// Package web is the portal: server-rendered pages for people in browsers
// (accounts, Security settings with Personal Access Tokens, apps with their
// API keys and collaborators, administration, the API reference), with
// their sessions and embedded templates and static files. Every action runs
// through internal/service under the authorization rule of the API method it
// corresponds to.
package web
