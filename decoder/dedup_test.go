package decoder

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// splitKey undoes the readable form: the vendor and the parts, unescaped.
func splitKey(t *testing.T, key string) (string, []string) {
	t.Helper()
	fields := strings.Split(key, ":")
	parts := fields[1:]
	for i, p := range parts {
		var b []byte
		for j := 0; j < len(p); j++ {
			if p[j] != '%' {
				b = append(b, p[j])
				continue
			}
			if j+2 >= len(p) {
				t.Fatalf("key %q: cut escape in part %d", key, i)
			}
			n, err := strconv.ParseUint(p[j+1:j+3], 16, 8)
			if err != nil || strings.ToUpper(p[j+1:j+3]) != p[j+1:j+3] {
				t.Fatalf("key %q: bad escape %q", key, p[j:j+3])
			}
			b = append(b, byte(n))
			j += 2
		}
		parts[i] = string(b)
	}
	return fields[0], parts
}

// Readable keys split back into their parts, whatever bytes the parts hold,
// so two different part lists never share a key; the key's bytes need no
// JSON escaping.
func TestDedupKeySplitsBack(t *testing.T) {
	cases := [][]string{
		{"a:b", "c"}, {"a", "b:c"}, {"a", "b", "c"},
		{"a%3Ab", "c"}, {"a%", "3Ab"},
		{"", ":"}, {":", ""}, {"", "", ""},
		{"h", "0123456789abcdef"}, {"H", "x"},
		{"R:10696051737586826", "1688:853914275463"},
		{"空 格", "x/y=z\"\\"}, {"\x00", "\x7f\xff"},
	}
	var d Decoder
	seen := map[string][]string{}
	for _, parts := range cases {
		key := d.dedupKey("dll", parts...)
		if prev, dup := seen[key]; dup {
			t.Errorf("%q and %q share the key %q", prev, parts, key)
		}
		seen[key] = parts
		if strings.HasPrefix(key, "dll:h:") {
			t.Errorf("%q: readable key %q looks hashed", parts, key)
		}
		vendor, back := splitKey(t, key)
		if vendor != "dll" || strings.Join(back, "\x00") != strings.Join(parts, "\x00") || len(back) != len(parts) {
			t.Errorf("%q: key %q splits into %q %q", parts, key, vendor, back)
		}
		if js, _ := json.Marshal(key); string(js) != `"`+key+`"` {
			t.Errorf("key %q is escaped in JSON: %s", key, js)
		}
	}
	// Plain ids keep the key they always had.
	if k := d.dedupKey("eyun", "wxid_ab-c.d@chatroom", "769189154845429899", "1619157348"); k != "eyun:wxid_ab-c.d@chatroom:769189154845429899:1619157348" {
		t.Errorf("plain key changed: %q", k)
	}
	// Too long once escaped: hashed.
	if k := d.dedupKey("dll", strings.Repeat(":", 60), "1"); !strings.HasPrefix(k, "dll:h:") || len(k) != len("dll:h:")+16 {
		t.Errorf("long key %q not hashed", k)
	}
}

// Hashed keys: the 0 byte that ends a part cannot be confused with a 0 byte
// inside one, and parts without 0 or 1 bytes hash as they always did.
func TestHashKeyPartBoundaries(t *testing.T) {
	var d Decoder
	cases := [][]string{
		{"a\x00", "b"}, {"a", "\x00b"}, {"a\x01", "\x02b"}, {"a", "\x01\x02b"},
		{"a\x01\x01", "b"}, {"a\x01", "\x01b"}, {"ab", ""}, {"a", "b"},
	}
	seen := map[string][]string{}
	for _, parts := range cases {
		key := d.hashKey("wecom", parts...)
		if prev, dup := seen[key]; dup {
			t.Errorf("%q and %q share the key %q", prev, parts, key)
		}
		seen[key] = parts
	}
	// FNV-1a 64 of "a\x00b\x00", as before the escaping of 0 and 1.
	if k := d.hashKey("wecom", "a", "b"); k != "wecom:h:"+fnvHex("a\x00b\x00") {
		t.Errorf("hash of plain parts changed: %q", k)
	}
}

func fnvHex(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())
}

// colonPair returns two bodies of one fixture that differ only by where a
// ':' sits between two id fields (set is given the fixture as a map and the
// two values to store).
func colonPair(t *testing.T, dialect, name string, set func(m map[string]any, first, second string)) [2][]byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "callbacks", dialect, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var bodies [2][]byte
	for i, vals := range [2][2]string{{"x:1", "2"}, {"x", "1:2"}} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		set(m, vals[0], vals[1])
		if bodies[i], err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}

// Two events of each dialect that differ only by where a ':' sits in their
// ids get different keys (they used to share one, and the second was
// dropped as a duplicate).
func TestDedupKeyColonPlacement(t *testing.T) {
	sub := func(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
	for _, c := range []struct {
		dialect Dialect
		name    string
		set     func(m map[string]any, first, second string)
	}{
		{Wecom, "seed_text_private", func(m map[string]any, a, b string) {
			sub(m, "message")["from_id"], sub(m, "message")["to_id"] = a, b
		}},
		{Wecom, "seed_group_text", func(m map[string]any, a, b string) {
			sub(m, "message")["from_id"], sub(m, "message")["room_id"] = a, b
		}},
		{Eyun, "seed_text_private", func(m map[string]any, a, b string) {
			m["wcId"], sub(m, "data")["newMsgId"] = a, b
		}},
		{DLL, "text_private", func(m map[string]any, a, b string) {
			sub(m, "data")["robotId"], sub(m, "data")["serverId"] = a, b
		}},
	} {
		t.Run(c.dialect.String()+"/"+c.name, func(t *testing.T) {
			bodies := colonPair(t, c.dialect.String(), c.name, c.set)
			var keys [2]string
			for i, body := range bodies {
				var d Decoder
				var ev Event
				if err := d.Decode(body, c.dialect, &ev); err != nil {
					t.Fatalf("%s: %v", body, err)
				}
				if strings.Contains(ev.DedupKey, ":h:") {
					t.Fatalf("key %q is hashed: the test wants the readable form", ev.DedupKey)
				}
				keys[i] = strings.Clone(ev.DedupKey)
			}
			if keys[0] == keys[1] {
				t.Fatalf("both events have the key %q", keys[0])
			}
		})
	}
}
