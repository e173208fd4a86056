using ScanTools.Sessions;

namespace ScanTools.Tests.Sessions;

public sealed class RowBudgetTests
{
    [Fact]
    public void CancellingWaitersWhileOthersContend_NeverDeadlocks_AndEveryRowIsAccountedFor()
    {
        // The cancelling thread runs the wake-up callbacks while producers hold and release the budget's
        // lock; the race is narrow, so it is run many times.
        for (int round = 0; round < 300; round++)
        {
            var budget = new RowBudget(100);
            using var stop = new CancellationTokenSource();
            long taken = 0;
            var workers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        budget.Take(60, stop.Token);
                        Interlocked.Increment(ref taken);
                        budget.Return(60);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }) { IsBackground = true }).ToList();
            workers.ForEach(w => w.Start());
            SpinWait.SpinUntil(() => Interlocked.Read(ref taken) > 50);

            // Cancelled from another thread, so a deadlock fails this test instead of hanging it.
            var canceller = new Thread(() => stop.Cancel()) { IsBackground = true };
            canceller.Start();
            Assert.True(canceller.Join(TimeSpan.FromSeconds(10)), $"round {round}: Cancel() is stuck (deadlock)");
            Assert.All(workers, w => Assert.True(w.Join(TimeSpan.FromSeconds(10)), $"round {round}: a producer is stuck (deadlock)"));
            Assert.Equal(0, budget.InUse);
        }
    }

    [Fact]
    public void Producers_AreServedInArrivalOrder()
    {
        var budget = new RowBudget(10);
        budget.Take(10, CancellationToken.None); // full
        var order = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var threads = new List<Thread>();
        for (int i = 0; i < 5; i++)
        {
            int id = i;
            var t = new Thread(() =>
            {
                budget.Take(10, CancellationToken.None);
                order.Enqueue(id);
                budget.Return(10);
            });
            threads.Add(t);
            t.Start();
            // Each waiter must be queued before the next starts, so arrival order is known.
            SpinWait.SpinUntil(() => t.ThreadState.HasFlag(ThreadState.WaitSleepJoin));
        }

        budget.Return(10);

        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(10))));
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, order);
    }
}
