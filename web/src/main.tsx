import '@mantine/core/styles.css';
import './app.css';
import { MantineProvider, Modal, createTheme } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider, createBrowserRouter, redirect } from 'react-router';
import { ApiError, onUnauthorized } from './api';
import { Layout } from './Layout';
import { LoginPage } from './pages/Login';
import { ProjectsPage } from './pages/Projects';
import { HistoryPage } from './pages/History';
import { TemplatesPage } from './pages/Templates';
import { TemplateEditPage } from './pages/TemplateEdit';
import { TaskPage } from './pages/Task';
import { EnvironmentsPage, InventoriesPage, KeysPage, RepositoriesPage } from './pages/Resources';
import { TeamPage } from './pages/Team';
import { SchedulesPage } from './pages/Schedules';
import { SettingsPage } from './pages/Settings';
import { TokensPage } from './pages/Tokens';
import { UsersPage } from './pages/Users';
import { IntegrationsPage } from './pages/Integrations';

const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'sm',
  components: {
    // The ✕ of every dialog has a name for screen readers (Mantine gives it none).
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
  },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      refetchOnWindowFocus: false,
      retry: (n, err) => !(err instanceof ApiError && err.status > 0 && err.status < 500) && n < 2,
    },
  },
});

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    element: <Layout />,
    children: [
      { path: '/', element: <ProjectsPage /> },
      { path: '/project/:pid', loader: ({ params }) => redirect(`/project/${params.pid}/history`) },
      { path: '/project/:pid/history', element: <HistoryPage /> },
      { path: '/project/:pid/templates', element: <TemplatesPage /> },
      { path: '/project/:pid/templates/new', element: <TemplateEditPage /> },
      { path: '/project/:pid/templates/:tid', element: <TemplateEditPage /> },
      { path: '/project/:pid/tasks/:taskId', element: <TaskPage /> },
      { path: '/project/:pid/inventory', element: <InventoriesPage /> },
      { path: '/project/:pid/environment', element: <EnvironmentsPage /> },
      { path: '/project/:pid/keys', element: <KeysPage /> },
      { path: '/project/:pid/repositories', element: <RepositoriesPage /> },
      { path: '/project/:pid/schedules', element: <SchedulesPage /> },
      { path: '/project/:pid/team', element: <TeamPage /> },
      { path: '/project/:pid/settings', element: <SettingsPage /> },
      { path: '/project/:pid/integrations', element: <IntegrationsPage /> },
      { path: '/user/tokens', element: <TokensPage /> },
      { path: '/admin/users', element: <UsersPage /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

function NotFound() {
  return <p>There is no page here. <a href="/">Back to the projects</a>.</p>;
}

onUnauthorized(() => {
  queryClient.removeQueries();
  const here = window.location.pathname + window.location.search;
  if (!window.location.pathname.startsWith('/login')) {
    router.navigate('/login?next=' + encodeURIComponent(here), { replace: true });
  }
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
