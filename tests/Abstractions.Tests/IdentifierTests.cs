using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Abstractions.Tests;

public sealed class IdentifierTests
{
    [Fact]
    public void Port_ids_round_trip_kind_and_index()
    {
        Gen<(PortKind, int)> gen = from kind in Gen.Elements(PortKind.Interface, PortKind.Peer)
                                   from index in Gen.Choose(0, PortId.MaxIndex)
                                   select (kind, index);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            PortId id = PortId.Create(t.Item1, t.Item2);
            return id.Kind == t.Item1 && id.Index == t.Item2 && !id.IsNone && id == PortId.Create(t.Item1, t.Item2);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Port_id_defaults_and_limits()
    {
        Assert.True(default(PortId).IsNone);
        Assert.Equal(PortKind.Local, PortId.Local.Kind);
        Assert.NotEqual(PortId.Interface(0), PortId.Peer(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PortId.Interface(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PortId.Peer(PortId.MaxIndex + 1));
        Assert.Equal("interface#3", PortId.Interface(3).ToString());
    }

    [Fact]
    public void Drop_reasons_are_registered_once_per_name()
    {
        DropReason a = DropReason.Register("tests.identifier.a");
        Assert.Equal(a, DropReason.Register("tests.identifier.a"));
        Assert.NotEqual(a, DropReason.Register("tests.identifier.b"));
        Assert.Equal("tests.identifier.a", a.Name);
        Assert.Equal(a, DropReason.FromId(a.Id));
        Assert.True(default(DropReason).IsNone);
        Assert.Equal("none", DropReason.None.Name);
        Assert.Throws<ArgumentException>(() => DropReason.Register(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => DropReason.FromId(DropReason.MaxReasons));
    }

    [Fact]
    public void Registering_from_many_threads_gives_one_id_per_name()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 64, _ => ids.Add(DropReason.Register("tests.identifier.concurrent").Id));
        Assert.Single(ids.Distinct());
    }
}
