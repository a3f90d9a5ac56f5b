import { ApiError } from '@wharf/errors';
import { InvalidDigestError, ManifestInvalidError } from '@wharf/oci';
import { ArtifactInvalidError, ArtifactNotFoundError, TagExistsError, TagNotFoundError } from '../artifacts/artifact.errors.js';
import { MemberExistsError, MemberInvalidError, MemberNotFoundError } from '../members/member.errors.js';
import { ProjectExistsError, ProjectInvalidError, ProjectNotEmptyError, ProjectNotFoundError } from '../projects/project.errors.js';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { CredentialUnreadableError } from '../registries/credential-cipher.js';
import { RegistryExistsError, RegistryInUseError, RegistryInvalidError, RegistryNotFoundError, RegistryUnhealthyError } from '../registries/registry.errors.js';
import { NamespaceRewriteError } from '../replication/namespace.js';
import {
  PolicyExistsError,
  PolicyInvalidError,
  PolicyNotFoundError,
  PolicyPreconditionError,
  PolicyScheduleError,
  ReplicationExecutionNotFoundError,
  ReplicationTaskNotFoundError,
} from '../replication/policy.errors.js';
import { RepositoryNotFoundError } from '../repositories/repository.errors.js';
import { RobotExistsError, RobotInvalidError, RobotNotFoundError } from '../robots/robot.errors.js';
import { CsrfError, LoginFailedError, LoginThrottledError } from '../sessions/session.errors.js';
import { ExecutionNotFoundError, TaskLogNotFoundError, TaskNotFoundError, TaskOfJobNotFoundError } from '../tasks/task.errors.js';
import { RefreshTokenInvalidError, TokenRequestError } from '../tokens/token.errors.js';
import { NotAUserError, PasswordRejectedError, UserExistsError, UserInvalidError, UserNotFoundError, WrongPasswordError } from '../users/user.errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

function entry<E extends Error>(type: ErrorClass<E>, toApi: (error: E) => ApiError): [ErrorClass<Error>, (error: Error) => ApiError] {
  return [type, toApi as (error: Error) => ApiError];
}

const as = (code: ConstructorParameters<typeof ApiError>[0], status?: number) => (error: Error) => new ApiError(code, { message: error.message, status });

/** The one table from core's domain errors to Harbor's API errors. */
const table = [
  entry(UnauthenticatedError, as('UNAUTHORIZED')),
  entry(ForbiddenError, as('FORBIDDEN')),
  entry(LoginFailedError, as('UNAUTHORIZED')),
  entry(LoginThrottledError, (e) => new ApiError('TOOMANYREQUESTS', { message: e.message, detail: { retry_after: e.retryAfterSeconds } })),
  entry(CsrfError, as('FORBIDDEN')),
  entry(UserNotFoundError, as('NOT_FOUND')),
  entry(UserExistsError, as('CONFLICT')),
  entry(UserInvalidError, as('BAD_REQUEST')),
  entry(PasswordRejectedError, as('BAD_REQUEST')),
  entry(WrongPasswordError, as('FORBIDDEN')),
  entry(NotAUserError, as('PRECONDITION')),
  entry(ProjectNotFoundError, as('NOT_FOUND')),
  entry(ProjectExistsError, as('CONFLICT')),
  entry(ProjectInvalidError, as('BAD_REQUEST')),
  entry(ProjectNotEmptyError, as('PRECONDITION')),
  entry(MemberNotFoundError, as('NOT_FOUND')),
  entry(MemberExistsError, as('CONFLICT')),
  entry(MemberInvalidError, as('BAD_REQUEST')),
  entry(RobotNotFoundError, as('NOT_FOUND')),
  entry(RobotExistsError, as('CONFLICT')),
  entry(RobotInvalidError, as('BAD_REQUEST')),
  entry(RepositoryNotFoundError, as('NOT_FOUND')),
  entry(ArtifactNotFoundError, as('NOT_FOUND')),
  entry(ArtifactInvalidError, as('BAD_REQUEST')),
  entry(TagExistsError, as('CONFLICT')),
  entry(TagNotFoundError, as('NOT_FOUND')),
  entry(TokenRequestError, as('BAD_REQUEST')),
  entry(RefreshTokenInvalidError, as('UNAUTHORIZED')),
  entry(ExecutionNotFoundError, as('NOT_FOUND')),
  entry(TaskNotFoundError, as('NOT_FOUND')),
  // 404 on purpose: jobservice sends the hook again until the task's job id is committed.
  entry(TaskOfJobNotFoundError, as('NOT_FOUND')),
  entry(TaskLogNotFoundError, as('NOT_FOUND')),
  entry(RegistryNotFoundError, as('NOT_FOUND')),
  entry(RegistryExistsError, as('CONFLICT')),
  entry(RegistryInvalidError, as('BAD_REQUEST')),
  entry(RegistryInUseError, as('PRECONDITION')),
  entry(RegistryUnhealthyError, as('BAD_REQUEST')),
  entry(CredentialUnreadableError, as('UNKNOWN')),
  entry(PolicyNotFoundError, as('NOT_FOUND')),
  entry(PolicyExistsError, as('CONFLICT')),
  entry(PolicyInvalidError, as('BAD_REQUEST')),
  entry(PolicyPreconditionError, as('PRECONDITION')),
  entry(PolicyScheduleError, as('UNAVAILABLE')),
  entry(NamespaceRewriteError, as('BAD_REQUEST')),
  entry(ReplicationExecutionNotFoundError, as('NOT_FOUND')),
  entry(ReplicationTaskNotFoundError, as('NOT_FOUND')),
  entry(InvalidDigestError, as('BAD_REQUEST')),
  entry(ManifestInvalidError, as('BAD_REQUEST')),
];

export function mapCoreError(error: unknown): ApiError | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const [type, toApi] of table) if (error instanceof type) return toApi(error);
  return undefined;
}
