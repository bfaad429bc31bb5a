package main

import (
	"errors"
	"strconv"

	"github.com/mailru/easyjson/jlexer"
	"github.com/wxhook/wxhook/decoder"
)

// mode is what the filter does with a callback it decoded.
type mode uint8

const (
	// modeNormalize replaces the body with the canonical event JSON.
	modeNormalize mode = iota + 1
	// modeAnnotate keeps the body and only publishes vendor, kind, chat and
	// dedup key.
	modeAnnotate
)

// route selects requests by path and says which dialect their bodies are.
type route struct {
	path    string // exact path, or a prefix when prefix is set
	prefix  bool
	dialect decoder.Dialect
}

// config is the plugin configuration (README.md, "Configuration").
type config struct {
	mode        mode
	dialect     decoder.Dialect // for routes that name none, and when routes is empty
	routes      []route         // empty: every path
	maxBody     int
	passInvalid bool // on_error "pass": forward undecodable bodies, marked
	holdHeaders bool // needs allow_on_headers_stop_iteration (Envoy >= 1.35)
}

const defaultMaxBody = 1 << 20

// configError says which field of the configuration is wrong and why.
type configError struct {
	field  string
	reason string
}

func (e *configError) Error() string {
	if e.field == "" {
		return "plugin configuration: " + e.reason
	}
	return "plugin configuration: " + e.field + ": " + e.reason
}

// parseConfig reads the plugin configuration strictly: unknown fields,
// duplicate fields, wrong types and values out of range are errors, so a typo
// fails proxy_on_configure instead of silently changing behaviour.
func parseConfig(b []byte) (*config, error) {
	c := &config{dialect: decoder.Auto, maxBody: defaultMaxBody}
	l := &jlexer.Lexer{Data: b}
	if skipSpace(b) == len(b) {
		return nil, &configError{reason: `empty; the smallest configuration is {"mode":"normalize"}`}
	}
	if l.CurrentToken() != jlexer.TokenDelim || !l.IsDelim('{') {
		return nil, &configError{reason: "not a JSON object"}
	}
	seen := map[string]bool{}
	l.Delim('{')
	for l.Ok() && !l.IsDelim('}') {
		key := l.String()
		l.WantColon()
		if !l.Ok() {
			break
		}
		if seen[key] {
			return nil, &configError{field: key, reason: "given twice"}
		}
		seen[key] = true
		var err error
		switch key {
		case "mode":
			switch s := wantString(l, key, &err); s {
			case "normalize":
				c.mode = modeNormalize
			case "annotate":
				c.mode = modeAnnotate
			default:
				if err == nil {
					err = &configError{field: key, reason: strconv.Quote(s) + ` is not "normalize" or "annotate"`}
				}
			}
		case "dialect":
			c.dialect = wantDialect(l, key, &err)
		case "paths":
			c.routes = wantRoutes(l, &err)
		case "max_body":
			c.maxBody = wantInt(l, key, 1, decoder.MaxInput, &err)
		case "on_error":
			switch s := wantString(l, key, &err); s {
			case "reject":
				c.passInvalid = false
			case "pass":
				c.passInvalid = true
			default:
				if err == nil {
					err = &configError{field: key, reason: strconv.Quote(s) + ` is not "reject" or "pass"`}
				}
			}
		case "hold_headers":
			c.holdHeaders = wantBool(l, key, &err)
		default:
			return nil, &configError{field: key, reason: "unknown field (known: mode, dialect, paths, max_body, on_error, hold_headers)"}
		}
		if err != nil {
			return nil, err
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	if err := l.Error(); err != nil {
		return nil, &configError{reason: "not valid JSON: " + lexText(err)}
	}
	if c.mode == 0 {
		return nil, &configError{field: "mode", reason: `missing ("normalize" or "annotate")`}
	}
	for i := range c.routes {
		if c.routes[i].dialect == dialectUnset {
			c.routes[i].dialect = c.dialect
		}
	}
	return c, nil
}

// dialectUnset marks a route without its own dialect while parsing.
const dialectUnset decoder.Dialect = 0xff

func wantString(l *jlexer.Lexer, field string, err *error) string {
	if l.CurrentToken() != jlexer.TokenString {
		*err = &configError{field: field, reason: "must be a string"}
		return ""
	}
	return l.String()
}

func wantBool(l *jlexer.Lexer, field string, err *error) bool {
	if l.CurrentToken() != jlexer.TokenBool {
		*err = &configError{field: field, reason: "must be true or false"}
		return false
	}
	return l.Bool()
}

func wantInt(l *jlexer.Lexer, field string, lo, hi int, err *error) int {
	if l.CurrentToken() != jlexer.TokenNumber {
		*err = &configError{field: field, reason: "must be a number"}
		return 0
	}
	raw := string(l.Raw())
	n, perr := strconv.ParseInt(raw, 10, 64)
	if perr != nil {
		// Istio's WasmPlugin passes pluginConfig through a protobuf Struct,
		// whose numbers are doubles: accept 1e+06 when it is an integer.
		if f, ferr := strconv.ParseFloat(raw, 64); ferr == nil && f == float64(int64(f)) {
			n, perr = int64(f), nil
		}
	}
	if perr != nil || n < int64(lo) || n > int64(hi) {
		*err = &configError{field: field, reason: raw + " is not an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}
		return 0
	}
	return int(n)
}

func wantDialect(l *jlexer.Lexer, field string, err *error) decoder.Dialect {
	s := wantString(l, field, err)
	if *err != nil {
		return 0
	}
	d, ok := decoder.ParseDialect(s)
	if !ok || s == "" {
		*err = &configError{field: field, reason: strconv.Quote(s) + ` is not "auto", "wecom", "eyun", "dll" or "gewe"`}
	}
	return d
}

// wantRoutes reads "paths": an array of {"path": "/exact"} or
// {"prefix": "/start/"}, each with an optional "dialect".
func wantRoutes(l *jlexer.Lexer, err *error) []route {
	if l.CurrentToken() != jlexer.TokenDelim || !l.IsDelim('[') {
		*err = &configError{field: "paths", reason: "must be an array"}
		return nil
	}
	var rs []route
	l.Delim('[')
	for l.Ok() && !l.IsDelim(']') {
		field := "paths[" + strconv.Itoa(len(rs)) + "]"
		if l.CurrentToken() != jlexer.TokenDelim || !l.IsDelim('{') {
			*err = &configError{field: field, reason: `must be an object {"path": …} or {"prefix": …}`}
			return nil
		}
		r := route{dialect: dialectUnset}
		var havePath, havePrefix, haveDialect bool
		l.Delim('{')
		for l.Ok() && !l.IsDelim('}') {
			key := l.String()
			l.WantColon()
			if !l.Ok() {
				break
			}
			switch key {
			case "path", "prefix":
				if havePath || havePrefix {
					*err = &configError{field: field, reason: `give one "path" or one "prefix"`}
					return nil
				}
				r.path = wantString(l, field+"."+key, err)
				r.prefix = key == "prefix"
				havePath, havePrefix = key == "path", key == "prefix"
				if *err == nil && (r.path == "" || r.path[0] != '/') {
					*err = &configError{field: field + "." + key, reason: strconv.Quote(r.path) + ` does not start with "/"`}
				}
			case "dialect":
				if haveDialect {
					*err = &configError{field: field + ".dialect", reason: "given twice"}
					return nil
				}
				haveDialect = true
				r.dialect = wantDialect(l, field+".dialect", err)
			default:
				*err = &configError{field: field + "." + key, reason: "unknown field (known: path, prefix, dialect)"}
			}
			if *err != nil {
				return nil
			}
			l.WantComma()
		}
		l.Delim('}')
		if l.Ok() && !havePath && !havePrefix {
			*err = &configError{field: field, reason: `needs "path" or "prefix"`}
			return nil
		}
		rs = append(rs, r)
		l.WantComma()
	}
	l.Delim(']')
	if l.Ok() && len(rs) == 0 {
		*err = &configError{field: "paths", reason: "is empty; leave it out to act on every path"}
	}
	return rs
}

// match returns the dialect for a request path (query string included, as
// in ":path") and whether the filter acts on it.
func (c *config) match(path []byte) (decoder.Dialect, bool) {
	for i, b := range path {
		if b == '?' || b == '#' {
			path = path[:i]
			break
		}
	}
	if len(c.routes) == 0 {
		return c.dialect, true
	}
	for _, r := range c.routes {
		if r.prefix {
			if len(path) >= len(r.path) && string(path[:len(r.path)]) == r.path {
				return r.dialect, true
			}
		} else if string(path) == r.path {
			return r.dialect, true
		}
	}
	return 0, false
}

func skipSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// lexText describes a jlexer error with its byte offset.
func lexText(err error) string {
	var le *jlexer.LexerError
	if errors.As(err, &le) {
		s := le.Reason + " at byte " + strconv.Itoa(le.Offset)
		if le.Data != "" {
			s += " near " + strconv.Quote(le.Data)
		}
		return s
	}
	return err.Error()
}
