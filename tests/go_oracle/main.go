// Command go-oracle renders Go text/template the way External Secrets Operator (ESO) v2 does, for
// differential tests of extsecrets' own engine. It reads JSON lines on stdin and answers one JSON
// line per request on stdout; byte strings travel base64-encoded (Go's []byte JSON form), so
// binary secret values round-trip exactly.
//
// Request:  {"name": "k", "template": b64, "data": {"k": b64} or "json_data": any, "missingkey": "error",
//
//	"left": "{{", "right": "}}", "max_output": 0}
//
// Answer:   {"output": b64} or {"error": b64, "eso_error": b64, "stage": "parse"|"exec"|...}
// A batch is {"batch": [request, ...]} -> {"batch": [answer, ...]} (one line each way).
// {"op": "info"} -> {"go": version, "funcs": [names]}.
//
// The function map is sprig's TxtFuncMap without env, expandenv and getHostByName, with ESO's
// additions (see package esofuncs); ESO's certificate/key functions are stubs that fail.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"text/template"
)

type request struct {
	Op       string            `json:"op,omitempty"`
	Batch    []request         `json:"batch,omitempty"`
	ID       json.RawMessage   `json:"id,omitempty"`
	Name     string            `json:"name"`
	Template []byte            `json:"template"`
	Data     map[string][]byte `json:"data"`
	// JSONData, when set, replaces Data as the root: a JSON document decoded as sprig's fromJson
	// decodes it (objects map[string]interface{}, numbers float64), for templates that need
	// nested data (Go's own test cases, a webhook provider's context).
	JSONData   json.RawMessage `json:"json_data,omitempty"`
	MissingKey string          `json:"missingkey,omitempty"`
	Left       string          `json:"left,omitempty"`
	Right      string          `json:"right,omitempty"`
	MaxOutput  int             `json:"max_output,omitempty"`
}

type answer struct {
	ID       json.RawMessage `json:"id,omitempty"`
	Output   []byte          `json:"output,omitempty"`
	Error    []byte          `json:"error,omitempty"`
	ESOError []byte          `json:"eso_error,omitempty"`
	Stage    string          `json:"stage,omitempty"`
	OK       bool            `json:"ok"`
}

type info struct {
	Go    string   `json:"go"`
	Funcs []string `json:"funcs"`
}

// defaultMaxOutput bounds one render, so a generated template cannot exhaust the test machine.
const defaultMaxOutput = 16 << 20

var errOutputLimit = errors.New("oracle: output limit exceeded")

type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errOutputLimit
	}
	return b.Buffer.Write(p)
}

var funcs = esoFuncMap()

func render(req request) (ans answer) {
	ans.ID = req.ID
	defer func() {
		// text/template re-panics runtime errors that happen outside function calls: report them
		// instead of losing the whole oracle process.
		if r := recover(); r != nil {
			ans = answer{ID: req.ID, Error: []byte(fmt.Sprint(r)), Stage: "panic"}
		}
	}()
	name := req.Name
	missing := req.MissingKey
	if missing == "" {
		missing = "error"
	}
	left, right := req.Left, req.Right
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	// ESO's runtime/template/v2 execute(): tpl.New(k).Option("missingkey=error").Funcs(...).
	// Delims(...).Parse(v), then Execute with a map[string]string of the secret values.
	t, err := template.New(name).Option("missingkey="+missing).Funcs(funcs).Delims(left, right).Parse(string(req.Template))
	if err != nil {
		inner := fmt.Errorf("unable to parse template at key %s: %s", name, err)
		ans.Error = []byte(err.Error())
		ans.ESOError = []byte(fmt.Sprintf("unable to execute template at key %s: %s", name, inner))
		ans.Stage = "parse"
		return ans
	}
	var root interface{}
	if len(req.JSONData) > 0 {
		if err := json.Unmarshal(req.JSONData, &root); err != nil {
			ans.Error = []byte("oracle: bad json_data: " + err.Error())
			ans.Stage = "request"
			return ans
		}
	} else {
		data := make(map[string]string, len(req.Data))
		for k, v := range req.Data {
			data[k] = string(v)
		}
		root = data
	}
	max := req.MaxOutput
	if max <= 0 {
		max = defaultMaxOutput
	}
	buf := &limitedBuffer{max: max}
	if err := t.Execute(buf, root); err != nil {
		if errors.Is(err, errOutputLimit) {
			ans.Error = []byte(errOutputLimit.Error())
			ans.Stage = "limit"
			return ans
		}
		inner := fmt.Errorf("unable to execute template at key %s: %s", name, err)
		ans.Error = []byte(err.Error())
		ans.ESOError = []byte(fmt.Sprintf("unable to execute template at key %s: %s", name, inner))
		ans.Stage = "exec"
		return ans
	}
	ans.Output = buf.Bytes()
	if ans.Output == nil {
		ans.Output = []byte{}
	}
	ans.OK = true
	return ans
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var req request
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				_ = enc.Encode(map[string]string{"fatal": "bad request: " + jerr.Error()})
			} else if req.Op == "info" {
				names := make([]string, 0, len(funcs))
				for k := range funcs {
					names = append(names, k)
				}
				sort.Strings(names)
				_ = enc.Encode(info{Go: runtime.Version(), Funcs: names})
			} else if req.Batch != nil {
				answers := make([]answer, len(req.Batch))
				for i, r := range req.Batch {
					answers[i] = render(r)
				}
				_ = enc.Encode(map[string][]answer{"batch": answers})
			} else {
				_ = enc.Encode(render(req))
			}
			if ferr := out.Flush(); ferr != nil {
				os.Exit(1)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
	}
}
