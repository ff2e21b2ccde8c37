package bindings

import (
	"fmt"
	"strconv"
	"strings"
)

// Extract returns the HTTP bindings of the RPC methods of the named service
// in the .proto source src: each method's google.api.http rule, its primary
// binding first, then its additional_bindings, in the order of the file. It
// reads the subset of the protobuf language that service definitions use
// and fails on anything else inside a rule.
func Extract(src, service string) ([]Binding, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	for !p.done() {
		if p.peek() == "service" && p.at(1) == service && p.at(2) == "{" {
			p.pos += 3
			return p.service()
		}
		p.pos++
	}
	return nil, fmt.Errorf("no service %s", service)
}

type parser struct {
	toks []token
	pos  int
}

type token struct {
	text string
	str  bool // a string literal; text is its value
	line int
}

func (p *parser) done() bool { return p.pos >= len(p.toks) }

// at returns the text of the token i past the current one, "" past the end.
// String literals never compare equal to punctuation or keywords.
func (p *parser) at(i int) string {
	if p.pos+i >= len(p.toks) || p.toks[p.pos+i].str {
		return ""
	}
	return p.toks[p.pos+i].text
}

func (p *parser) peek() string { return p.at(0) }

func (p *parser) errorf(format string, args ...any) error {
	line := 0
	if !p.done() {
		line = p.toks[p.pos].line
	} else if len(p.toks) > 0 {
		line = p.toks[len(p.toks)-1].line
	}
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

// service reads a service body up to its closing brace.
func (p *parser) service() ([]Binding, error) {
	var out []Binding
	method := ""
	depth := 1
	for !p.done() {
		switch t := p.peek(); {
		case t == "{":
			depth++
		case t == "}":
			if depth--; depth == 0 {
				return out, nil
			}
		case t == "rpc" && depth == 1:
			method = p.at(1)
		case t == "option" && p.at(1) == "(" && p.at(2) == "google.api.http" && p.at(3) == ")" && p.at(4) == "=" && p.at(5) == "{":
			if method == "" {
				return nil, p.errorf("google.api.http outside an rpc")
			}
			p.pos += 6
			bs, err := p.rule(method)
			if err != nil {
				return nil, err
			}
			out = append(out, bs...)
			continue
		}
		p.pos++
	}
	return nil, p.errorf("service not closed")
}

// rule reads an HttpRule message after its opening brace, through its
// closing one.
func (p *parser) rule(method string) ([]Binding, error) {
	primary := Binding{Method: method}
	var extra []Binding
	for !p.done() {
		key := p.peek()
		p.pos++
		switch {
		case key == "}":
			if primary.Verb == "" {
				return nil, p.errorf("%s: an HTTP rule without a method and path", method)
			}
			return append([]Binding{primary}, extra...), nil
		case key == "," || key == ";":
		case key == "additional_bindings":
			if p.peek() == ":" {
				p.pos++
			}
			if p.peek() != "{" {
				return nil, p.errorf("%s: additional_bindings without a message", method)
			}
			p.pos++
			bs, err := p.rule(method)
			if err != nil {
				return nil, err
			}
			extra = append(extra, bs...)
		case verbs[strings.ToUpper(key)] || key == "body" || key == "response_body":
			v, err := p.value(method, key)
			if err != nil {
				return nil, err
			}
			switch {
			case key == "body":
				primary.Body = v
			case key == "response_body":
			case primary.Verb != "":
				return nil, p.errorf("%s: two HTTP methods in one binding", method)
			default:
				primary.Verb, primary.Path = strings.ToUpper(key), v
				if _, err := ParseTemplate(v); err != nil {
					return nil, p.errorf("%s: %v", method, err)
				}
			}
		default:
			return nil, p.errorf("%s: unsupported field %q in an HTTP rule", method, key)
		}
	}
	return nil, p.errorf("%s: HTTP rule not closed", method)
}

// value reads ": <string>" after a field name.
func (p *parser) value(method, key string) (string, error) {
	if p.peek() != ":" || p.pos+1 >= len(p.toks) || !p.toks[p.pos+1].str {
		return "", p.errorf("%s: %s must be followed by a string", method, key)
	}
	v := p.toks[p.pos+1].text
	p.pos += 2
	return v, nil
}

// tokenize splits src into identifiers (with dots), string literals and
// single punctuation characters, dropping whitespace and comments.
func tokenize(src string) ([]token, error) {
	var out []token
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: comment not closed", line)
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 4
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				if j < len(src) && src[j] == '\n' {
					return nil, fmt.Errorf("line %d: string not closed", line)
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("line %d: string not closed", line)
			}
			v, err := strconv.Unquote(`"` + strings.ReplaceAll(src[i+1:j], `"`, `\"`) + `"`)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
			out = append(out, token{text: v, str: true, line: line})
			i = j + 1
		case isIdent(c):
			j := i
			for j < len(src) && (isIdent(src[j]) || src[j] == '.') {
				j++
			}
			out = append(out, token{text: src[i:j], line: line})
			i = j
		default:
			out = append(out, token{text: string(c), line: line})
			i++
		}
	}
	return out, nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
