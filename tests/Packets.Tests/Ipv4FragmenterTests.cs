using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public sealed class Ipv4FragmenterTests
{
    /// <summary>Fragments <paramref name="packet"/> for <paramref name="mtu"/> as the routing stage does: later fragments first, then the first in place.</summary>
    private static List<byte[]> Fragment(byte[] packet, int mtu)
    {
        Assert.True(Ipv4Fragmenter.TryPlan(packet, packet.Length, mtu, out Ipv4FragmentPlan plan));
        var fragments = new List<byte[]>();
        byte[] copy = (byte[])packet.Clone();
        for (int k = 1; k < plan.Count; k++)
        {
            var destination = new byte[mtu];
            int length = Ipv4Fragmenter.WriteLaterFragment(copy, copy.Length, plan, k, destination);
            fragments.Add(destination[..length]);
        }

        int first = Ipv4Fragmenter.MakeFirstFragment(copy, plan);
        fragments.Insert(0, copy[..first]);
        return fragments;
    }

    /// <summary>Reassembles fragments (in any order) by their offsets: the datagram's data, and whether the last has MF clear.</summary>
    private static byte[] Reassemble(List<byte[]> fragments, int originalOffset = 0)
    {
        var data = new SortedDictionary<int, byte[]>();
        foreach (byte[] f in fragments)
        {
            int ihl = (f[0] & 0xF) * 4;
            int offset = (BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(6)) & 0x1FFF) * 8;
            data.Add(offset - originalOffset, f[ihl..]);
        }

        var all = new List<byte>();
        foreach ((int offset, byte[] bytes) in data)
        {
            Assert.Equal(all.Count, offset);
            all.AddRange(bytes);
        }

        return [.. all];
    }

    [Fact]
    public void A_1500_byte_datagram_for_an_MTU_of_1420_becomes_two_fragments_that_reassemble_to_it()
    {
        byte[] packet = TestPackets.Udp(false, TestPackets.Pattern(1472), dontFragment: false);

        List<byte[]> fragments = Fragment(packet, 1420);

        Assert.Equal(2, fragments.Count);
        Assert.Equal(1420, fragments[0].Length);
        Assert.Equal(1500 - 1420 + 20, fragments[1].Length);
        Assert.Equal(Ipv4Header.MoreFragmentsFlag | 0, BinaryPrimitives.ReadUInt16BigEndian(fragments[0].AsSpan(6)));
        Assert.Equal(1400 / 8, BinaryPrimitives.ReadUInt16BigEndian(fragments[1].AsSpan(6)));
        Assert.Equal(packet[20..], Reassemble(fragments));
        foreach (byte[] f in fragments)
        {
            Assert.Equal(DropReason.None, PacketParser.Parse(f, out PacketLayout layout));
            Assert.Equal(f.Length, layout.PacketLength);
            Assert.Equal(packet.AsSpan(4, 2).ToArray(), f.AsSpan(4, 2).ToArray()); // same identification
        }
    }

    [Fact]
    public void Only_options_marked_copied_are_repeated_in_later_fragments()
    {
        // Router alert (148: copied) and record route (7: not copied).
        byte[] options = [148, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0];
        byte[] packet = TestPackets.Tcp(new TestPackets.TcpSpec { Ipv4Options = options, Payload = TestPackets.Pattern(600), DontFragment = false });

        List<byte[]> fragments = Fragment(packet, 300);

        Assert.Equal(32, (fragments[0][0] & 0xF) * 4);
        Assert.Equal(options, fragments[0][20..32]);
        for (int i = 1; i < fragments.Count; i++)
        {
            Assert.Equal(24, (fragments[i][0] & 0xF) * 4);
            Assert.Equal(new byte[] { 148, 4, 0, 0 }, fragments[i][20..24]);
        }

        Assert.Equal(packet[32..], Reassemble(fragments));
    }

    [Fact]
    public void A_fragment_fragmented_again_continues_its_offset_and_keeps_its_MF()
    {
        byte[] packet = TestPackets.Udp(false, TestPackets.Pattern(1000), dontFragment: false);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)(Ipv4Header.MoreFragmentsFlag | 100));
        Ipv4Header.WriteChecksum(packet);

        List<byte[]> fragments = Fragment(packet, 576);

        Assert.All(fragments, f => Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(6)) & Ipv4Header.MoreFragmentsFlag));
        Assert.Equal(packet[20..], Reassemble(fragments, originalOffset: 800));
    }

    [Fact]
    public void A_packet_that_fits_or_an_MTU_without_room_for_8_bytes_of_data_is_not_planned()
    {
        byte[] packet = TestPackets.Udp(false, TestPackets.Pattern(100), dontFragment: false);
        Assert.False(Ipv4Fragmenter.TryPlan(packet, packet.Length, 1500, out _));
        Assert.False(Ipv4Fragmenter.TryPlan(packet, packet.Length, 27, out _));
    }

    [Fact]
    public void Every_fragmentation_fits_the_MTU_keeps_8_byte_boundaries_and_reassembles_to_the_original()
    {
        Gen<(int Payload, int Mtu, int Options)> cases =
            from payload in Gen.Choose(1, 4000)
            from mtu in Gen.Choose(68, 1500)
            from options in Gen.Choose(0, 3)
            select (payload, mtu, options);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            byte[] options = c.Options switch
            {
                0 => [],
                1 => [148, 4, 0, 0],
                2 => [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                _ => [130, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 7, 4, 0, 0, 0, 0, 1, 0],
            };
            byte[] packet = TestPackets.Tcp(new TestPackets.TcpSpec { Ipv4Options = options, Payload = TestPackets.Pattern(c.Payload), DontFragment = false });
            if (packet.Length <= c.Mtu || !Ipv4Fragmenter.TryPlan(packet, packet.Length, c.Mtu, out _))
            {
                return true;
            }

            List<byte[]> fragments = Fragment(packet, c.Mtu);
            int header = 20 + options.Length;
            bool fit = fragments.TrueForAll(f => f.Length <= c.Mtu && PacketParser.Parse(f, out _).IsNone);
            bool aligned = fragments.Take(fragments.Count - 1).All(f => (f.Length - ((f[0] & 0xF) * 4)) % 8 == 0);
            bool lastEnds = (BinaryPrimitives.ReadUInt16BigEndian(fragments[^1].AsSpan(6)) & Ipv4Header.MoreFragmentsFlag) == 0;
            return fit && aligned && lastEnds && Reassemble(fragments).AsSpan().SequenceEqual(packet.AsSpan(header));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }
}
