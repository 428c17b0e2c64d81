package service_test

import (
	"bytes"
	"context"
	"errors"
	"golang.org/x/crypto/bcrypt"
	"testing"

	"github.com/signalbox/signalbox/core/model"
	"github.com/signalbox/signalbox/core/secretbox"
	"github.com/signalbox/signalbox/core/service"
	"github.com/signalbox/signalbox/core/store/storetest"
)

func TestServices_IntegrationSecret(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite)
	box, err := secretbox.New(map[string][]byte{"k1": bytes.Repeat([]byte{9}, secretbox.KeySize)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Deps{Store: st, Sealer: box, PasswordCost: bcrypt.MinCost})
	ctx := context.Background()
	a := service.SystemActor
	p, err := svc.CreateProject(ctx, a, model.Project{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := svc.Repositories().Save(ctx, a, model.Repository{ProjectID: p.ID, Name: "r", GitURL: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := svc.Templates().Save(ctx, a, model.Template{ProjectID: p.ID, Name: "t", App: "bash", Playbook: "a.sh", RepositoryID: repo.ID})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "plain-webhook-secret"
	in, err := svc.SaveIntegration(ctx, a, model.Integration{ProjectID: p.ID, Name: "hook", TemplateID: tmpl.ID,
		AuthMethod: model.IntegrationAuthBasic}, &model.IntegrationSecret{Login: "ci", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the secret is sealed at rest", func(t *testing.T) {
		stored, err := st.Integrations().Get(ctx, p.ID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.AuthSecret) == 0 || bytes.Contains(stored.AuthSecret, []byte(secret)) || bytes.Contains(stored.AuthSecret, []byte(`"ci"`)) {
			t.Fatalf("stored secret %q is not sealed", stored.AuthSecret)
		}
		var got model.IntegrationSecret
		if err := box.OpenJSON(stored.AuthSecret, &got); err != nil {
			t.Fatal(err)
		}
		if got != (model.IntegrationSecret{Login: "ci", Secret: secret}) {
			t.Errorf("opened secret = %+v", got)
		}
	})

	t.Run("switching to none drops the secret", func(t *testing.T) {
		in.AuthMethod = model.IntegrationAuthNone
		if _, err := svc.SaveIntegration(ctx, a, in, nil); err != nil {
			t.Fatal(err)
		}
		stored, err := st.Integrations().Get(ctx, p.ID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.AuthSecret != nil {
			t.Errorf("secret kept for method none: %q", stored.AuthSecret)
		}
	})

	t.Run("a template an integration uses cannot be deleted", func(t *testing.T) {
		err := svc.Templates().Delete(ctx, a, p.ID, tmpl.ID)
		if !errors.Is(err, model.ErrConflict) {
			t.Fatalf("Delete template: %v, want a conflict", err)
		}
		if err := svc.DeleteIntegration(ctx, a, p.ID, in.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Templates().Delete(ctx, a, p.ID, tmpl.ID); err != nil {
			t.Fatalf("Delete template once unused: %v", err)
		}
	})
}
