// Command signalbox is the Signalbox server and its administration CLI.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/signalbox/signalbox/core/app"
	"github.com/signalbox/signalbox/core/config"
	"github.com/signalbox/signalbox/core/service"
)

func main() {
	if !profiling {
		// Nothing reads the heap profile of a server built without the
		// pprof tag, and each allocation stack the runtime samples keeps
		// memory for the life of the process.
		runtime.MemProfileRate = 0
	}
	if err := root().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

type flags struct {
	configFile string
	listen     string
	dataDir    string
}

func (f *flags) load() (config.Config, error) {
	return f.loadFor(false)
}

// loadFor loads the configuration; quiet lowers the default log level for
// commands whose output is meant for a person.
func (f *flags) loadFor(quiet bool) (config.Config, error) {
	cfg, err := config.Load(f.configFile, os.LookupEnv)
	if quiet && os.Getenv("SIGNALBOX_LOG_LEVEL") == "" {
		cfg.Log.Level = "warn"
	}
	if err != nil {
		return cfg, err
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	if f.dataDir != "" {
		cfg.DataDir = f.dataDir
	}
	return cfg, cfg.Resolve()
}

func root() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:           "signalbox",
		Short:         "Signalbox runs Ansible, Terraform and scripts from a web UI and a REST API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().StringVar(&f.configFile, "config", os.Getenv("SIGNALBOX_CONFIG"), "YAML configuration file (env SIGNALBOX_CONFIG)")
	cmd.PersistentFlags().StringVar(&f.dataDir, "data-dir", "", "data folder (env SIGNALBOX_DATA_DIR, default ./data)")
	cmd.AddCommand(serverCmd(f), migrateCmd(f), userCmd(f), pluginsCmd(f), storeCmd(f), versionCmd())
	return cmd
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func serverCmd(f *flags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the server",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			log := app.NewLogger(cfg)
			a, err := app.New(ctx, cfg, log)
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&f.listen, "listen", "", "listen address (env SIGNALBOX_LISTEN, default :3000)")
	return cmd
}

func migrateCmd(f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			st, err := app.OpenStore(cmd.Context(), cfg, app.NewLogger(cfg))
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Println("database is up to date")
			return nil
		},
	}
}

// withApp builds the app for a CLI command and closes it after.
func withApp(f *flags, fn func(ctx context.Context, a *app.App) error) error {
	cfg, err := f.loadFor(true)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	a, err := app.New(ctx, cfg, app.NewLogger(cfg))
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(ctx, a)
}

func userCmd(f *flags) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users"}
	var n service.NewUser
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a user",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(f, func(ctx context.Context, a *app.App) error {
				if n.Password == "" {
					n.Password = os.Getenv("SIGNALBOX_USER_PASSWORD")
				}
				u, err := a.Services.CreateUser(ctx, service.SystemActor, n)
				if err != nil {
					return err
				}
				fmt.Printf("user %q created (id %d, admin %t)\n", u.Username, u.ID, u.Admin)
				return nil
			})
		},
	}
	add.Flags().StringVar(&n.Username, "login", "", "login name (required)")
	add.Flags().StringVar(&n.Name, "name", "", "full name")
	add.Flags().StringVar(&n.Email, "email", "", "email (required)")
	add.Flags().StringVar(&n.Password, "password", "", "password (or env SIGNALBOX_USER_PASSWORD)")
	add.Flags().BoolVar(&n.Admin, "admin", false, "make the user an administrator")

	list := &cobra.Command{
		Use:   "list",
		Short: "List users",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(f, func(ctx context.Context, a *app.App) error {
				us, err := a.Services.ListUsers(ctx, service.SystemActor)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tLOGIN\tNAME\tEMAIL\tADMIN")
				for _, u := range us {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%t\n", u.ID, u.Username, u.Name, u.Email, u.Admin)
				}
				return w.Flush()
			})
		},
	}
	var login, password string
	change := &cobra.Command{
		Use:   "change-password",
		Short: "Set a user's password",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(f, func(ctx context.Context, a *app.App) error {
				if password == "" {
					password = os.Getenv("SIGNALBOX_USER_PASSWORD")
				}
				u, err := a.Services.FindUser(ctx, service.SystemActor, login)
				if err != nil {
					return err
				}
				if err := a.Services.SetPassword(ctx, service.SystemActor, u.ID, password); err != nil {
					return err
				}
				fmt.Printf("password of %q changed\n", u.Username)
				return nil
			})
		},
	}
	change.Flags().StringVar(&login, "login", "", "login name or email (required)")
	change.Flags().StringVar(&password, "password", "", "new password (or env SIGNALBOX_USER_PASSWORD)")
	del := &cobra.Command{
		Use:   "delete",
		Short: "Delete a user",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withApp(f, func(ctx context.Context, a *app.App) error {
				u, err := a.Services.FindUser(ctx, service.SystemActor, login)
				if err != nil {
					return err
				}
				if err := a.Services.DeleteUser(ctx, service.SystemActor, u.ID); err != nil {
					return err
				}
				fmt.Printf("user %q deleted\n", u.Username)
				return nil
			})
		},
	}
	del.Flags().StringVar(&login, "login", "", "login name or email (required)")
	cmd.AddCommand(add, list, change, del)
	return cmd
}

func pluginsCmd(f *flags) *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "Inspect plugins"}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "Start each discovered plugin and print what it describes",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.loadFor(true)
			if err != nil {
				return err
			}
			host, err := app.NewHost(cfg, app.NewLogger(cfg))
			if err != nil {
				return err
			}
			defer host.Shutdown()
			plugins := host.List(cmd.Context())
			stores, err := app.StoragePlugins(cfg)
			if err != nil {
				return err
			}
			for _, s := range stores {
				fmt.Printf("storage-%s\t%s\n  store %-10s select with SIGNALBOX_STORE=%s\n", s.Name, s.Path, s.Name, s.Name)
			}
			if len(plugins) == 0 && len(stores) == 0 {
				fmt.Printf("no plugins found in %s\n", cfg.PluginDir)
				return nil
			}
			failed := 0
			for _, p := range plugins {
				if p.Err != nil {
					failed++
					fmt.Printf("%s\t%s\tERROR: %v\n", p.Name, p.Path, p.Err)
					continue
				}
				fmt.Printf("%s %s\t%s\n", p.Name, p.Description.Version, p.Path)
				apps := p.Description.Apps
				sort.Slice(apps, func(i, j int) bool { return apps[i].ID < apps[j].ID })
				for _, a := range apps {
					line := fmt.Sprintf("  app %-12s %s", a.ID, a.Title)
					if a.Version != "" {
						line += " (" + strings.SplitN(a.Version, "\n", 2)[0] + ")"
					}
					fmt.Println(line)
				}
			}
			if failed > 0 {
				return errors.New("some plugins could not be started")
			}
			return nil
		},
	})
	return cmd
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(*cobra.Command, []string) { fmt.Println("signalbox", app.Version) },
	}
}
