// JSON the Worker writes itself, byte-compatible with the Go worker's.

// jsonString quotes s as easyjson's jwriter.String does with NoEscapeHTML
// (the Go decoder's and worker's writer): \" \\ \n \r \t, other control
// characters as \u00xx (lower-case hex), U+2028/U+2029 as \u2028/\u2029, lone
// surrogates (invalid UTF-8 on the Go side) as \ufffd; everything else as is.
export function jsonString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u00" + c.toString(16).padStart(2, "0");
    else if (c === 0x2028 || c === 0x2029) out += "\\u" + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
    else out += s[i];
  }
  return out + '"';
}

// errorJSON is (*decoder.Error).AppendJSON for the worker's own errors:
// {"error":{"code":…,"vendor":…[,"field":…],"offset":…[,"detail":…]}}.
export function errorJSON({ code, vendor = "auto", field = "", offset = -1, detail = "" }) {
  let s = `{"error":{"code":${jsonString(code)},"vendor":${jsonString(vendor)}`;
  if (field) s += `,"field":${jsonString(field)}`;
  s += `,"offset":${offset}`;
  if (detail) s += `,"detail":${jsonString(detail)}`;
  return s + "}}";
}

// base64 is standard base64 with padding (Go's base64.StdEncoding).
export function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
