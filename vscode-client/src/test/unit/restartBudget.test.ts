import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartBudget } from '../../core/restartBudget';

describe('RestartBudget', () => {
    it('allows a bounded number of restarts within the window', () => {
        const budget = new RestartBudget(3, 1000);
        assert.deepEqual([0, 10, 20, 30].map((t) => budget.crashed(t)), [true, true, true, false]);
        // crashes older than the window no longer count
        assert.equal(budget.crashed(1025), true);
        budget.reset();
        assert.equal(budget.recentCrashes, 0);
    });
});
