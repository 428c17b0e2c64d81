package kvstore

import "context"

// deleteProjectData removes everything of a project but the project's
// own document, in the context's transaction.
func (s *Store) deleteProjectData(ctx context.Context, projectID int64) error {
	for _, f := range []func(context.Context, int64) error{
		s.deleteProjectTasks,
		s.deleteProjectMembers,
		s.deleteProjectEvents,
		s.deleteProjectSchedules,
		s.deleteProjectIntegrations,
		s.deleteProjectEnvSecrets,
	} {
		if err := f(ctx, projectID); err != nil {
			return err
		}
	}
	for _, b := range scopedBuckets {
		if err := s.delPrefix(ctx, b, key(projectID)); err != nil {
			return err
		}
	}
	return nil
}

// deleteUserData removes a user's memberships, sessions, API tokens and
// options, in the context's transaction.
func (s *Store) deleteUserData(ctx context.Context, userID int64) error {
	for _, f := range []func(context.Context, int64) error{
		s.deleteUserMembers,
		s.deleteUserSessions,
		s.deleteUserTokens,
		s.deleteUserOptions,
	} {
		if err := f(ctx, userID); err != nil {
			return err
		}
	}
	return nil
}
