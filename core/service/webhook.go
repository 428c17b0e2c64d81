package service

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/store"
)

// The headers of the methods whose header is fixed.
const (
	githubSignatureHeader = "X-Hub-Signature-256"
	gitlabTokenHeader     = "X-Gitlab-Token"
)

// Webhook is a request received at an integration alias.
type Webhook struct {
	// Alias is the last segment of the address: /api/integrations/{Alias}.
	Alias string
	// Header holds the request's headers, with keys in canonical form (as
	// net/http gives them).
	Header map[string][]string
	// Body is the raw body; signatures are computed over it.
	Body []byte
}

// ReceiveWebhook handles a webhook: it finds the alias's integration, or,
// for a project alias, every searchable integration of the project whose
// matchers all match; it authenticates the request for each; and it starts
// a task of each integration's template with the values it extracts. It
// returns the tasks started, none when no integration matched.
//
// An alias of one integration authenticates before it matches, so that an
// unauthenticated request learns nothing. A project alias selects by the
// matchers first, then refuses the whole request if any integration it
// selected does not authenticate it. A refused request starts nothing and
// is recorded as an event; it is model.ErrUnauthenticated. An unknown
// alias is model.ErrNotFound.
func (s *Services) ReceiveWebhook(ctx context.Context, w Webhook) ([]model.Task, error) {
	alias, err := s.store.Integrations().Aliases().GetByAlias(ctx, w.Alias)
	if err != nil {
		return nil, err
	}
	req := newWebhookRequest(w)
	var selected []model.Integration
	if alias.IntegrationID != 0 {
		in, err := s.store.Integrations().Get(ctx, alias.ProjectID, alias.IntegrationID)
		if err != nil {
			return nil, err
		}
		if err := s.authenticateWebhook(ctx, in, req); err != nil {
			return nil, err
		}
		ok, err := s.webhookMatches(ctx, in, req)
		if err != nil || !ok {
			return nil, err
		}
		selected = append(selected, in)
	} else {
		ins, err := s.store.Integrations().List(ctx, alias.ProjectID, store.ListOptions{SortBy: "id"})
		if err != nil {
			return nil, err
		}
		for _, in := range ins {
			if !in.Searchable {
				continue
			}
			ok, err := s.webhookMatches(ctx, in, req)
			if err != nil {
				return nil, err
			}
			if ok {
				selected = append(selected, in)
			}
		}
		var refused error
		for _, in := range selected {
			if err := s.authenticateWebhook(ctx, in, req); err != nil && refused == nil {
				refused = err
			}
		}
		if refused != nil {
			return nil, refused
		}
	}
	started := make([]model.Task, 0, len(selected))
	var firstErr error
	for _, in := range selected {
		t, err := s.startFromWebhook(ctx, in, req)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			s.log.Warn("webhook could not start a task", "integration_id", in.ID, "project_id", in.ProjectID, "error", err)
			s.event(ctx, Actor{}, in.ProjectID, "integration", in.ID,
				"webhook for integration %q could not start a task: %v", in.Name, err)
			continue
		}
		started = append(started, t)
	}
	if len(started) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return started, nil
}

// authenticateWebhook checks the request's credentials against the
// integration's secret. A refusal is recorded, without the credentials.
func (s *Services) authenticateWebhook(ctx context.Context, in model.Integration, r *webhookRequest) error {
	var sec model.IntegrationSecret
	if in.AuthMethod.NeedsSecret() {
		if len(in.AuthSecret) == 0 || s.sealer == nil {
			return fmt.Errorf("integration %d: no secret to check webhooks against", in.ID)
		}
		if err := s.sealer.OpenJSON(in.AuthSecret, &sec); err != nil {
			return fmt.Errorf("integration %d: open secret: %w", in.ID, err)
		}
	}
	reason := checkWebhookAuth(in, sec, r)
	if reason == "" {
		return nil
	}
	s.log.Warn("webhook refused", "integration_id", in.ID, "project_id", in.ProjectID, "reason", reason)
	s.event(ctx, Actor{}, in.ProjectID, "integration", in.ID, "webhook for integration %q refused: %s", in.Name, reason)
	return model.Unauthenticatedf("webhook refused: %s", reason)
}

// checkWebhookAuth returns why the request fails the integration's
// authentication, or "" when it passes. Secrets are compared in constant
// time.
func checkWebhookAuth(in model.Integration, sec model.IntegrationSecret, r *webhookRequest) string {
	switch in.AuthMethod {
	case model.IntegrationAuthNone:
		return ""
	case model.IntegrationAuthToken, model.IntegrationAuthGitLab:
		header := in.AuthHeader
		if in.AuthMethod == model.IntegrationAuthGitLab {
			header = gitlabTokenHeader
		}
		got := r.header.Get(header)
		switch {
		case got == "":
			return "no token in " + header
		case !equalSecret(got, sec.Secret):
			return "wrong token"
		}
		return ""
	case model.IntegrationAuthHMAC, model.IntegrationAuthGitHub:
		header, sig := in.AuthHeader, r.header.Get(in.AuthHeader)
		if in.AuthMethod == model.IntegrationAuthGitHub {
			header = githubSignatureHeader
			var ok bool
			if sig, ok = strings.CutPrefix(r.header.Get(header), "sha256="); !ok {
				sig = ""
			}
		} else {
			sig = strings.TrimPrefix(sig, "sha256=")
		}
		if sig == "" {
			return "no signature in " + header
		}
		if !validHMAC(sec.Secret, r.body, sig) {
			return "bad signature"
		}
		return ""
	case model.IntegrationAuthBasic:
		login, password, ok := basicAuth(r.header.Get("Authorization"))
		if !ok {
			return "no basic credentials"
		}
		// Both compared, always: the time taken says nothing of which failed.
		okLogin := equalSecret(login, sec.Login)
		okPassword := equalSecret(password, sec.Secret)
		if !okLogin || !okPassword {
			return "wrong credentials"
		}
		return ""
	}
	return fmt.Sprintf("unknown auth method %q", in.AuthMethod)
}

// equalSecret compares two strings in a time that depends on neither,
// their lengths included.
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1 && want != ""
}

// validHMAC checks a hex HMAC-SHA256 signature of body.
func validHMAC(key string, body []byte, sigHex string) bool {
	sig, err := hex.DecodeString(strings.TrimSpace(sigHex))
	if err != nil || key == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), sig)
}

// basicAuth parses an "Authorization: Basic" header.
func basicAuth(h string) (login, password string, ok bool) {
	const prefix = "basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(b), ":")
}

// webhookMatches reports whether all the integration's matchers match.
func (s *Services) webhookMatches(ctx context.Context, in model.Integration, r *webhookRequest) (bool, error) {
	ms, err := s.store.Integrations().Matchers().List(ctx, in.ID)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if !matcherMatches(m, r) {
			return false, nil
		}
	}
	return true, nil
}

// matcherMatches applies one matcher. A value that is missing equals and
// contains nothing, and is unequal to everything.
func matcherMatches(m model.IntegrationMatcher, r *webhookRequest) bool {
	v, found := r.lookup(m.MatchType, m.BodyDataType, m.Key)
	got := textOf(v)
	switch m.Method {
	case model.IntegrationMatchEquals:
		return found && got == m.Value
	case model.IntegrationMatchUnequals:
		return !found || got != m.Value
	case model.IntegrationMatchContains:
		return found && strings.Contains(got, m.Value)
	}
	return false
}

// textOf is a looked-up value as text: a string as is, anything else as
// compact JSON (42, true, null, {"a":1}).
func textOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// startFromWebhook starts a task of the integration's template, as the
// integration, with the values it extracts from the request.
func (s *Services) startFromWebhook(ctx context.Context, in model.Integration, r *webhookRequest) (model.Task, error) {
	vs, err := s.store.Integrations().ExtractValues().List(ctx, in.ID)
	if err != nil {
		return model.Task{}, err
	}
	vars := map[string]any{}
	params := map[string]any{}
	if in.TaskParams != "" {
		if err := json.Unmarshal([]byte(in.TaskParams), &params); err != nil || params == nil {
			return model.Task{}, model.Invalidf("integration %q: task_params is not a JSON object", in.Name)
		}
	}
	for _, v := range vs {
		val, found := r.lookup(v.ValueSource, v.BodyDataType, v.Key)
		if !found {
			continue
		}
		if v.VariableType == model.IntegrationVariableTask {
			params[v.Variable] = val
		} else {
			vars[v.Variable] = val
		}
	}
	n := NewTask{TemplateID: in.TemplateID, Message: fmt.Sprintf("started by integration %q", in.Name)}
	if n.Environment, err = jsonObject(vars); err != nil {
		return model.Task{}, err
	}
	if n.Params, err = jsonObject(params); err != nil {
		return model.Task{}, err
	}
	// The integration acts for itself: the request authenticated against
	// its secret, not as any user of the project.
	as := Actor{User: model.User{Admin: true}, Label: fmt.Sprintf("integration %q", in.Name)}
	return s.StartTask(ctx, as, in.ProjectID, n)
}

// jsonObject encodes a map, or returns "" for an empty one.
func jsonObject(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode task values: %w", err)
	}
	return string(b), nil
}

// webhookRequest is a received webhook, its body parsed on first use.
type webhookRequest struct {
	header textproto.MIMEHeader
	body   []byte

	jsonDone bool
	json     any
	jsonOK   bool
	xmlDone  bool
	xml      *xmlNode
}

func newWebhookRequest(w Webhook) *webhookRequest {
	return &webhookRequest{header: textproto.MIMEHeader(w.Header), body: w.Body}
}

// lookup reads a value from the request: a header (a string), a JSON path
// (any JSON value, numbers kept as written), an XML path (a string), or
// the whole body (a string).
func (r *webhookRequest) lookup(source model.IntegrationMatchType, dataType model.IntegrationBodyDataType, key string) (any, bool) {
	if source == model.IntegrationMatchHeader {
		vs, ok := r.header[textproto.CanonicalMIMEHeaderKey(key)]
		if !ok || len(vs) == 0 {
			return nil, false
		}
		return vs[0], true
	}
	switch dataType {
	case model.IntegrationBodyString:
		return string(r.body), true
	case model.IntegrationBodyJSON:
		if !r.jsonDone {
			r.jsonDone = true
			dec := json.NewDecoder(bytes.NewReader(r.body))
			dec.UseNumber()
			r.jsonOK = dec.Decode(&r.json) == nil
			if r.jsonOK {
				// Trailing data makes the body something else than JSON.
				var extra any
				r.jsonOK = errors.Is(dec.Decode(&extra), io.EOF)
			}
		}
		if !r.jsonOK {
			return nil, false
		}
		return jsonPath(r.json, key)
	case model.IntegrationBodyXML:
		if !r.xmlDone {
			r.xmlDone = true
			r.xml = parseXML(r.body)
		}
		if r.xml == nil {
			return nil, false
		}
		return r.xml.path(key)
	}
	return nil, false
}

// jsonPath follows a dotted path into a decoded JSON value: object keys,
// and array indexes from 0 (commits.0.author.name).
func jsonPath(v any, path string) (any, bool) {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// xmlNode is an element of a parsed XML body.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	children []*xmlNode
	text     strings.Builder
}

// parseXML parses a body into its root element, or nil if it is not XML.
func parseXML(body []byte) *xmlNode {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var root *xmlNode
	var stack []*xmlNode
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attrs: t.Attr}
			switch {
			case len(stack) > 0:
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			case root == nil:
				root = n
			default:
				return nil // a second root
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if len(stack) != 0 {
		return nil
	}
	return root
}

// path follows a dotted path from the root element, which the path names
// first (push.ref); each segment takes the first child of that name, and a
// last segment @name takes an attribute. The value is the element's text,
// trimmed.
func (n *xmlNode) path(path string) (any, bool) {
	segs := strings.Split(path, ".")
	if segs[0] != n.name {
		return nil, false
	}
	cur := n
	for i, seg := range segs[1:] {
		if attr, ok := strings.CutPrefix(seg, "@"); ok {
			if i != len(segs)-2 {
				return nil, false
			}
			for _, a := range cur.attrs {
				if a.Name.Local == attr {
					return a.Value, true
				}
			}
			return nil, false
		}
		var next *xmlNode
		for _, c := range cur.children {
			if c.name == seg {
				next = c
				break
			}
		}
		if next == nil {
			return nil, false
		}
		cur = next
	}
	return strings.TrimSpace(cur.text.String()), true
}
