using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using ScanTools.Sessions;

namespace ScanTools.Tests.Sessions;

/// <summary>
/// The writer's queue store: first in, first out, and never empty to a taker while it holds an item, however
/// many threads add at once (the default ConcurrentQueue can be, dotnet/runtime issue 132736).
/// </summary>
public sealed class LockedQueueTests
{
    [Fact]
    public void Gives_items_back_in_the_order_they_were_added_and_reports_empty_only_when_empty()
    {
        Prop.ForAll<int[]>(items =>
        {
            var queue = new LockedQueue<int>();
            foreach (int i in items)
            {
                Assert.True(queue.TryAdd(i));
            }
            Assert.Equal(items.Length, queue.Count);
            Assert.Equal(items, queue.ToArray());
            Assert.Equal(items, queue.ToList()); // the enumerator is a snapshot and takes nothing
            var copy = new int[items.Length + 2];
            queue.CopyTo(copy, 2);
            Assert.Equal(items, copy.Skip(2));
            var taken = new List<int>();
            while (queue.TryTake(out int item))
            {
                taken.Add(item);
            }
            Assert.Equal(items, taken);
            Assert.Empty(queue);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Under_a_BlockingCollection_a_taker_with_timeouts_gets_every_item_of_many_adders_exactly_once_in_each_adders_order()
    {
        const int adders = 8, perAdder = 20_000;
        for (int round = 0; round < 5; round++) // a fresh collection each round: growth from empty is where ConcurrentQueue fails
        {
            using var collection = new BlockingCollection<(int Adder, int Index)>(new LockedQueue<(int, int)>());
            using var start = new Barrier(adders + 1);
            var threads = Enumerable.Range(0, adders).Select(a => new Thread(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < perAdder; i++)
                {
                    collection.Add((a, i));
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            var next = new int[adders];
            int got = 0;
            start.SignalAndWait();
            while (got < adders * perAdder)
            {
                // Short timed takes, as the writer's linger does: each one that says "an item" must yield one.
                if (collection.TryTake(out var item, TimeSpan.FromMilliseconds(1)))
                {
                    Assert.Equal(next[item.Adder], item.Index); // each adder's items in its order, none twice, none skipped
                    next[item.Adder]++;
                    got++;
                }
            }
            threads.ForEach(t => t.Join());
            Assert.False(collection.TryTake(out _));
            Assert.All(next, n => Assert.Equal(perAdder, n));
        }
    }

    [Fact]
    public void Bounded_adders_wait_for_room_and_completion_ends_the_taker_after_the_last_item()
    {
        using var collection = new BlockingCollection<int>(new LockedQueue<int>(), boundedCapacity: 3);
        var adder = new Thread(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                collection.Add(i); // blocks while 3 wait
            }
            collection.CompleteAdding();
        });
        adder.Start();
        var taken = collection.GetConsumingEnumerable().ToList();
        adder.Join();
        Assert.Equal(Enumerable.Range(0, 100), taken);
        Assert.True(collection.IsCompleted);
    }
}
