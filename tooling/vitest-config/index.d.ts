import type { UserWorkspaceConfig } from 'vitest/config';
export declare function kalistoProject(name: string, test?: UserWorkspaceConfig['test']): UserWorkspaceConfig;
