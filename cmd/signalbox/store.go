package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signalbox/signalbox/core/app"
	"github.com/signalbox/signalbox/core/config"
)

func storeCmd(f *flags) *cobra.Command {
	cmd := &cobra.Command{Use: "store", Short: "Work on the store itself"}
	cmd.AddCommand(storeCopyCmd(f))
	return cmd
}

// parseBackend reads a backend given as driver[:dsn] into a store
// configuration, with the defaults of cfg (the data folder, plugins).
func parseBackend(cfg config.Config, spec string, settings []string) (config.Config, error) {
	driver, dsn, _ := strings.Cut(spec, ":")
	cfg.Store = config.StoreConfig{Driver: driver, DSN: dsn}
	for _, kv := range settings {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cfg, fmt.Errorf("setting %q: want name=value", kv)
		}
		if cfg.Store.Settings == nil {
			cfg.Store.Settings = map[string]string{}
		}
		cfg.Store.Settings[k] = v
	}
	if driver == "" {
		return cfg, fmt.Errorf("backend %q: want driver[:dsn], such as bolt:/srv/signalbox.bolt or postgres:'host=db dbname=signalbox'", spec)
	}
	return cfg, cfg.Resolve()
}

func storeCopyCmd(f *flags) *cobra.Command {
	var (
		from, to                 string
		fromSettings, toSettings []string
		force                    bool
	)
	cmd := &cobra.Command{
		Use:   "copy --from driver[:dsn] --to driver[:dsn]",
		Short: "Copy everything from one store into another, ids kept",
		Long: `Copy every user, project, object, task with its output and event from one
store into another, of any backends: sqlite, postgres, mysql, bolt, or another
storage plugin. Ids are kept and secrets are copied still encrypted, so the
target works with the same secret key. The copy is checked by counting both
stores. Browser sessions are not copied. Stop the server first.

A backend is driver[:dsn]; without a DSN, sqlite and bolt use their file in the
data folder. Examples:

  signalbox store copy --from bolt --to postgres:'host=127.0.0.1 user=postgres dbname=signalbox'
  signalbox store copy --from sqlite:/srv/old.db --to mysql:'root@tcp(127.0.0.1:3306)/signalbox'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := f.loadFor(true)
			if err != nil {
				return err
			}
			fromCfg, err := parseBackend(base, from, fromSettings)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			toCfg, err := parseBackend(base, to, toSettings)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			if fromCfg.Store.Driver == toCfg.Store.Driver && fromCfg.Store.DSN == toCfg.Store.DSN {
				return fmt.Errorf("--from and --to name the same store")
			}
			ctx, stop := signalContext()
			defer stop()
			counts, err := app.CopyStore(ctx, fromCfg, toCfg, force, app.NewLogger(base))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s to %s; the target holds:\n%s", fromCfg.Store.Driver, toCfg.Store.Driver, counts)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source backend, driver[:dsn] (required)")
	cmd.Flags().StringVar(&to, "to", "", "target backend, driver[:dsn] (required)")
	cmd.Flags().StringArrayVar(&fromSettings, "from-setting", nil, "a storage plugin setting of the source, name=value (repeatable)")
	cmd.Flags().StringArrayVar(&toSettings, "to-setting", nil, "a storage plugin setting of the target, name=value (repeatable)")
	cmd.Flags().BoolVar(&force, "force", false, "write into a target that is not empty (a clash of ids then fails the copy)")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
