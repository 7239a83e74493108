// What a paused or failed step says about its cause: through activities and child runs to the real reason.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { describeFailure } from '../../src/workflows/saga';

describe('describeFailure', () => {
  it('names a child run\'s failed step and cause, not "Child Workflow execution failed"', () => {
    const cause = ApplicationFailure.create({
      type: 'OperationRolledBack',
      message: 'step "set team budget" failed: LiteLLMNotFound: updateTeam: LiteLLM /team/update answered 404',
    });
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'litellm-team-budget:acme', runId: 'r' },
      'setTeamBudget',
      RetryState.NON_RETRYABLE_FAILURE,
      cause
    );
    expect(describeFailure(child)).toBe(
      'OperationRolledBack: step "set team budget" failed: LiteLLMNotFound: updateTeam: LiteLLM /team/update answered 404'
    );
  });

  it('unwraps an activity failure to its LiteLLM error, keys masked', () => {
    const cause = ApplicationFailure.create({
      type: 'LiteLLMChangeRefused',
      message: 'key sk-abcdefghijkl1234 refused',
    });
    const activity = new ActivityFailure('failed', 'updateKey', 'a1', RetryState.NON_RETRYABLE_FAILURE, 'id', cause);
    expect(describeFailure(activity)).toBe('LiteLLMChangeRefused: key sk-…1234 refused');
  });
});
