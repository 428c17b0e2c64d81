package service

import (
	"testing"

	"github.com/signalbox/signalbox/core/model"
)

func TestWebhookRequest_Lookup(t *testing.T) {
	for name, tc := range map[string]struct {
		body     string
		dataType model.IntegrationBodyDataType
		key      string
		want     string
		found    bool
	}{
		"a json key":                          {`{"a":{"b":"c"}}`, model.IntegrationBodyJSON, "a.b", "c", true},
		"a json array index":                  {`{"a":[1,{"b":2}]}`, model.IntegrationBodyJSON, "a.1.b", "2", true},
		"a json object as text":               {`{"a":{"b":[1, 2]}}`, model.IntegrationBodyJSON, "a", `{"b":[1,2]}`, true},
		"json null is found":                  {`{"a":null}`, model.IntegrationBodyJSON, "a", "null", true},
		"a negative index is missing":         {`{"a":[1]}`, model.IntegrationBodyJSON, "a.-1", "", false},
		"a key into a string is missing":      {`{"a":"s"}`, model.IntegrationBodyJSON, "a.b", "", false},
		"json with trailing data is not json": {`{"a":1} {"a":2}`, model.IntegrationBodyJSON, "a", "", false},
		"an xml element":                      {`<a><b>x</b><b>y</b></a>`, model.IntegrationBodyXML, "a.b", "x", true},
		"an xml attribute":                    {`<a k="v"><b/></a>`, model.IntegrationBodyXML, "a.@k", "v", true},
		"an attribute must come last":         {`<a k="v"><b/></a>`, model.IntegrationBodyXML, "a.@k.b", "", false},
		"the path starts at the root":         {`<a><b>x</b></a>`, model.IntegrationBodyXML, "b", "", false},
		"two xml roots are not xml":           {`<a/><a/>`, model.IntegrationBodyXML, "a", "", false},
		"unclosed xml is not xml":             {`<a><b>x</b>`, model.IntegrationBodyXML, "a.b", "", false},
		"a string body is whole":              {"any thing", model.IntegrationBodyString, "", "any thing", true},
	} {
		t.Run(name, func(t *testing.T) {
			r := newWebhookRequest(Webhook{Body: []byte(tc.body)})
			v, found := r.lookup(model.IntegrationMatchBody, tc.dataType, tc.key)
			if found != tc.found || (found && textOf(v) != tc.want) {
				t.Errorf("lookup(%q) = %v, %v; want %q, %v", tc.key, v, found, tc.want, tc.found)
			}
		})
	}
}

func TestCheckWebhookAuth(t *testing.T) {
	in := func(m model.IntegrationAuthMethod) model.Integration {
		return model.Integration{AuthMethod: m, AuthHeader: "X-Auth"}
	}
	req := func(h map[string][]string) *webhookRequest {
		return newWebhookRequest(Webhook{Header: h, Body: []byte("b")})
	}
	for name, tc := range map[string]struct {
		in   model.Integration
		sec  model.IntegrationSecret
		r    *webhookRequest
		want string
	}{
		"an empty stored token matches nothing": {in(model.IntegrationAuthToken), model.IntegrationSecret{},
			req(map[string][]string{"X-Auth": {""}}), "no token in X-Auth"},
		"a token that is a prefix is wrong": {in(model.IntegrationAuthToken), model.IntegrationSecret{Secret: "abcdef"},
			req(map[string][]string{"X-Auth": {"abc"}}), "wrong token"},
		"a signature that is not hex is bad": {in(model.IntegrationAuthHMAC), model.IntegrationSecret{Secret: "k"},
			req(map[string][]string{"X-Auth": {"sha256=zz"}}), "bad signature"},
		"basic needs the basic scheme": {in(model.IntegrationAuthBasic), model.IntegrationSecret{Login: "a", Secret: "b"},
			req(map[string][]string{"Authorization": {"Bearer YTpi"}}), "no basic credentials"},
		"basic accepts any case of the scheme": {in(model.IntegrationAuthBasic), model.IntegrationSecret{Login: "a", Secret: "b"},
			req(map[string][]string{"Authorization": {"bAsIc YTpi"}}), ""},
		"a wrong basic login is refused": {in(model.IntegrationAuthBasic), model.IntegrationSecret{Login: "x", Secret: "b"},
			req(map[string][]string{"Authorization": {"Basic YTpi"}}), "wrong credentials"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := checkWebhookAuth(tc.in, tc.sec, tc.r); got != tc.want {
				t.Errorf("checkWebhookAuth = %q, want %q", got, tc.want)
			}
		})
	}
}
