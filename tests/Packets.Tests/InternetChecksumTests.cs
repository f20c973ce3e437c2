using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Packets.Tests;

public class InternetChecksumTests
{
    [Fact]
    public void Rfc1071_example_sums_to_the_documented_value()
    {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, InternetChecksum.SumScalar(data));
        Assert.Equal(0xddf2, InternetChecksum.Sum(data));
        Assert.Equal(0x220d, InternetChecksum.Compute(data));
    }

    [Fact]
    public void Known_ipv4_header_checksum_is_reproduced()
    {
        // A classic example header whose checksum is b861.
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xb861, InternetChecksum.Compute(header));
        header[10] = 0xb8;
        header[11] = 0x61;
        Assert.True(InternetChecksum.Verifies(header));
    }

    [Fact]
    public void Empty_input_sums_to_the_initial_value()
    {
        Assert.Equal(0, InternetChecksum.Sum([]));
        Assert.Equal(0x1234, InternetChecksum.Sum([], 0x1234));
    }

    [Fact]
    public void Odd_trailing_byte_is_padded_with_zero()
    {
        Assert.Equal(0xAB00, InternetChecksum.Sum([0xAB]));
        Assert.Equal(0x0102 + 0x0300, InternetChecksum.Sum([0x01, 0x02, 0x03]));
    }

    [Fact]
    public void All_ones_data_of_every_length_up_to_4096_matches_the_reference()
    {
        // All 0xFF maximises carries, the hardest case for the wide accumulators.
        byte[] ones = new byte[4096];
        ones.AsSpan().Fill(0xFF);
        for (int length = 0; length <= ones.Length; length++)
        {
            Assert.Equal(InternetChecksum.SumScalar(ones.AsSpan(0, length)), InternetChecksum.Sum(ones.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Every_length_0_to_2048_at_every_offset_0_to_63_matches_the_reference()
    {
        byte[] data = TestPackets.Pattern(2048 + 64, seed: 7);
        for (int offset = 0; offset < 64; offset += 1)
        {
            for (int length = 0; length <= 2048; length += offset % 2 == 0 ? 1 : 7)
            {
                ReadOnlySpan<byte> span = data.AsSpan(offset, length);
                Assert.Equal(InternetChecksum.SumScalar(span), InternetChecksum.Sum(span));
            }
        }
    }

    [Fact]
    public void Maximum_length_all_ones_matches_the_reference_on_every_vector_width()
    {
        byte[] ones = new byte[65535 * 4];
        ones.AsSpan().Fill(0xFF);
        foreach (int length in new[] { 65535, 65536, ones.Length })
        {
            ushort expected = InternetChecksum.SumScalar(ones.AsSpan(0, length));
            foreach (Func<byte[], int, ushort> width in Widths())
            {
                Assert.Equal(expected, width(ones, length));
            }
        }
    }

    [Fact]
    public void Simd_sum_equals_scalar_sum_for_random_lengths_offsets_and_initial_values()
    {
        Gen<(byte[] Data, int Offset, int Length, ushort Initial)> gen =
            from length in Gen.Frequency((3, Gen.Choose(0, 300)), (2, Gen.Choose(0, 2000)), (1, Gen.Choose(0, 65535)))
            from offset in Gen.Choose(0, 63)
            from seed in Gen.Choose(0, int.MaxValue)
            from initial in Gen.Choose(0, 0xFFFF)
            select (RandomBytes(offset + length, seed), offset, length, (ushort)initial);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            ReadOnlySpan<byte> span = t.Data.AsSpan(t.Offset, t.Length);
            ushort expected = InternetChecksum.SumScalar(span, t.Initial);
            if (InternetChecksum.Sum(span, t.Initial) != expected)
            {
                return false;
            }

            foreach (Func<byte[], int, ushort> width in Widths())
            {
                byte[] copy = span.ToArray();
                if (InternetChecksum.Add(width(copy, copy.Length), t.Initial) != expected)
                {
                    return false;
                }
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    [Fact]
    public void Sums_chain_across_even_length_pieces()
    {
        byte[] data = TestPackets.Pattern(1001, seed: 3);
        ushort whole = InternetChecksum.Sum(data);
        ushort chained = InternetChecksum.Sum(data.AsSpan(600), InternetChecksum.Sum(data.AsSpan(0, 600)));
        Assert.Equal(whole, chained);
    }

    [Fact]
    public void Ipv4_pseudo_header_sum_matches_building_the_pseudo_header()
    {
        byte[] packet = TestPackets.Udp(false, TestPackets.Pattern(33));
        Assert.Equal(
            TestPackets.ScalarPseudo(packet, IpProtocol.Udp, 41),
            PseudoHeaderChecksum.IPv4(packet.AsSpan(12, 4), packet.AsSpan(16, 4), IpProtocol.Udp, 41));
    }

    [Fact]
    public void Ipv6_pseudo_header_sum_matches_building_the_pseudo_header()
    {
        byte[] packet = TestPackets.Udp(true, TestPackets.Pattern(33));
        Assert.Equal(
            TestPackets.ScalarPseudo(packet, IpProtocol.Tcp, 70000),
            PseudoHeaderChecksum.IPv6(packet.AsSpan(8, 16), packet.AsSpan(24, 16), IpProtocol.Tcp, 70000));
        Assert.Equal(TestPackets.ScalarPseudo(packet, IpProtocol.Udp, 41), PseudoHeaderChecksum.ForPacket(packet, IpProtocol.Udp, 41));
    }

    [Fact]
    public void Pseudo_header_of_short_addresses_is_zero_not_an_exception()
    {
        Assert.Equal(0, PseudoHeaderChecksum.IPv4([1, 2], [3, 4, 5, 6], 6, 20));
        Assert.Equal(0, PseudoHeaderChecksum.IPv6(new byte[15], new byte[16], 6, 20));
        Assert.Equal(0, PseudoHeaderChecksum.ForPacket(new byte[10], 6, 20));
    }

    [Fact]
    public void Ttl_decrement_patch_equals_full_recompute_for_every_ttl_and_id()
    {
        byte[] packet = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(10) });
        for (int id = 0; id < 65536; id += 251)
        {
            for (int ttl = 1; ttl < 256; ttl += 3)
            {
                byte[] header = packet.AsSpan(0, 20).ToArray();
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)id);
                header[8] = (byte)ttl;
                RecomputeHeader(header);
                Assert.True(IncrementalChecksum.DecrementTtl(header));
                Assert.Equal(ttl - 1, header[8]);
                Assert.Equal(0xFFFF, InternetChecksum.SumScalar(header));
            }
        }
    }

    [Fact]
    public void Ttl_of_zero_or_short_header_is_refused_unchanged()
    {
        byte[] header = TestPackets.Tcp(new TestPackets.TcpSpec { Ttl = 0 }).AsSpan(0, 20).ToArray();
        byte[] before = (byte[])header.Clone();
        Assert.False(IncrementalChecksum.DecrementTtl(header));
        Assert.Equal(before, header);
        Assert.False(IncrementalChecksum.DecrementTtl(new byte[19]));
    }

    [Fact]
    public void Identification_change_patch_verifies()
    {
        Prop.ForAll(Gen.Choose(0, 0xFFFF).ToArbitrary(), Gen.Choose(0, 0xFFFF).ToArbitrary(), (oldId, newId) =>
        {
            byte[] header = TestPackets.Tcp(new TestPackets.TcpSpec { Id = (ushort)oldId }).AsSpan(0, 20).ToArray();
            IncrementalChecksum.SetIdentification(header, (ushort)newId);
            return BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4)) == newId && InternetChecksum.SumScalar(header) == 0xFFFF;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Address_rewrite_patch_equals_full_recompute()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<uint>(), newAddress =>
        {
            byte[] header = TestPackets.Tcp(new TestPackets.TcpSpec()).AsSpan(0, 20).ToArray();
            uint old = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(10));
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), newAddress);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), IncrementalChecksum.Update(checksum, old, newAddress));
            return InternetChecksum.SumScalar(header) == 0xFFFF;
        }).QuickCheckThrowOnFailure();
    }

    private static void RecomputeHeader(byte[] header)
    {
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)~InternetChecksum.SumScalar(header));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // Every vector width the machine accelerates, called directly so the narrower paths are tested even on an
    // AVX-512 machine; each returns the big-endian folded sum.
    private static IEnumerable<Func<byte[], int, ushort>> Widths()
    {
        yield return (data, length) => FromNative(InternetChecksum.SumWords64(ref MemoryMarshal.GetArrayDataReference(data), length, 0));
        if (Vector128.IsHardwareAccelerated)
        {
            yield return (data, length) => FromNative(InternetChecksum.SumVector128(ref MemoryMarshal.GetArrayDataReference(data), length));
        }

        if (Vector256.IsHardwareAccelerated)
        {
            yield return (data, length) => FromNative(InternetChecksum.SumVector256(ref MemoryMarshal.GetArrayDataReference(data), length));
        }

        if (Vector512.IsHardwareAccelerated)
        {
            yield return (data, length) => FromNative(InternetChecksum.SumVector512(ref MemoryMarshal.GetArrayDataReference(data), length));
        }
    }

    private static ushort FromNative(ulong sum) => BinaryPrimitives.ReverseEndianness(InternetChecksum.Fold(sum));
}
