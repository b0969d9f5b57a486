// Package sprig is sprig's text function map as ESO v2 ships it (ESO vendors sprig v3 at a commit
// newer than Debian's 3.2.3): env, expandenv and getHostByName removed; hexdec and sha512sum
// added; htpasswd with a third argument naming the hash. The package is named sprig, as ESO's is,
// so that Go's type errors print the same type name (sprig.HashAlgorithm).
package sprig

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"text/template"

	upstream "github.com/Masterminds/sprig"
)

// HashAlgorithm is htpasswd's third parameter. Being a named type, a template can pass it only
// as a string constant: a string variable or pipeline value is a type error in Go.
type HashAlgorithm string

const hashSHA = "sha"

// TxtFuncMap returns the function map ESO copies into its template function map.
func TxtFuncMap() template.FuncMap {
	m := upstream.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(m, name)
	}
	bcrypt := m["bcrypt"].(func(string) string)
	m["htpasswd"] = func(username string, password string, algo HashAlgorithm) string {
		if strings.Contains(username, ":") {
			return fmt.Sprintf("invalid username: %s", username)
		}
		if algo == hashSHA {
			sum := sha1.Sum([]byte(password))
			return fmt.Sprintf("%s:{SHA}%s", username, base64.StdEncoding.EncodeToString(sum[:]))
		}
		return fmt.Sprintf("%s:%s", username, bcrypt(password))
	}
	// hexdec: hex to bytes; bad input yields the error text as the value, not a failure.
	m["hexdec"] = func(v string) string {
		b, err := hex.DecodeString(v)
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	m["sha512sum"] = func(input string) string {
		sum := sha512.Sum512([]byte(input))
		return hex.EncodeToString(sum[:])
	}
	return m
}
