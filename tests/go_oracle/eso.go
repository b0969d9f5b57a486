package main

import (
	"fmt"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"

	"extsecrets.test/oracle/sprig"
)

// esoOnly are ESO's own certificate and key functions. Their libraries are not packaged by
// Debian, so the oracle only defines the names (templates using them parse, as in ESO) and
// fails when one is called; corpus cases that call them are checked against ESO's tests instead.
var esoOnly = []string{
	"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass",
	"pemToPkcs12", "pemToPkcs12Pass", "fullPemToPkcs12", "fullPemToPkcs12Pass",
	"pemTruststoreToPKCS12", "pemTruststoreToPKCS12Pass",
	"filterPEM", "filterCertChain", "certSANs",
	"jwkPublicKeyPem", "jwkPrivateKeyPem", "rsaDecrypt",
}

// errUnavailable marks an answer that is not Go's: the Python side treats it as "no oracle".
const errUnavailable = "extsecrets-oracle: function not available: "

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "" // ESO swallows the error inside a template
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func esoFuncMap() template.FuncMap {
	m := template.FuncMap{"toYaml": toYAML, "fromYaml": fromYAML}
	for _, name := range esoOnly {
		name := name
		m[name] = func(args ...interface{}) (string, error) {
			return "", fmt.Errorf("%s%s", errUnavailable, name)
		}
	}
	// As ESO's init(): sprig's entries are copied over ESO's own.
	for k, v := range sprig.TxtFuncMap() {
		m[k] = v
	}
	return m
}
