using System.Buffers;
using TcpActors.Engine.Connection;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

public class ReassemblerTests
{
    private static byte[] Bytes(int from, int count) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();

    private static byte[] Fill(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    private static (int Moved, bool Fin, byte[] Data) Take(Reassembler r, ref SeqNum rcvNxt)
    {
        var w = new ArrayBufferWriter<byte>();
        int moved = r.TakeContiguous(ref rcvNxt, w, out bool fin);
        Assert.Equal(moved, w.WrittenCount);
        return (moved, fin, w.WrittenSpan.ToArray());
    }

    private static SackBlock[] Sack(Reassembler r, int max = 4)
    {
        var blocks = new SackBlock[max];
        int n = r.GetSackBlocks(blocks);
        return blocks[..n];
    }

    [Fact]
    public void Data_beyond_RCV_NXT_is_held_until_the_gap_is_filled_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 1000;
        Assert.Equal(100, r.Add(nxt, 1100, Bytes(100, 100)));
        Assert.Equal(100, r.BufferedBytes);
        var nothing = Take(r, ref nxt);
        Assert.Equal(0, nothing.Moved);
        Assert.Equal(new SeqNum(1000), nxt);

        nxt = 1100; // the caller delivered [1000, 1100) in order itself
        var got = Take(r, ref nxt);
        Assert.Equal(100, got.Moved);
        Assert.Equal(Bytes(100, 100), got.Data);
        Assert.Equal(new SeqNum(1200), nxt);
        Assert.Equal(0, r.BufferedBytes);
        Assert.Equal(0, r.SegmentCount);
        Assert.False(got.Fin);
    }

    [Fact]
    public void Data_added_at_RCV_NXT_fills_the_gap_and_joins_the_held_data_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 0;
        r.Add(nxt, 20, Bytes(20, 10));
        r.Add(nxt, 10, Bytes(10, 10));
        Assert.Equal(1, r.SegmentCount);
        r.Add(nxt, 0, Bytes(0, 10));
        var got = Take(r, ref nxt);
        Assert.Equal(Bytes(0, 30), got.Data);
        Assert.Equal(new SeqNum(30), nxt);
    }

    [Fact]
    public void Only_the_contiguous_prefix_is_delivered_and_later_ranges_stay_held_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 0;
        r.Add(nxt, 10, Bytes(10, 10));
        r.Add(nxt, 40, Bytes(40, 10));
        Assert.Equal(2, r.SegmentCount);
        r.Add(nxt, 0, Bytes(0, 10));
        var got = Take(r, ref nxt);
        Assert.Equal(Bytes(0, 20), got.Data);
        Assert.Equal(new SeqNum(20), nxt);
        Assert.Equal(10, r.BufferedBytes);
        Assert.Equal(1, r.SegmentCount);
    }

    [Fact]
    public void Part_before_RCV_NXT_is_trimmed_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 100;
        Assert.Equal(0, r.Add(nxt, 50, Bytes(50, 50)));   // entirely old
        Assert.Equal(20, r.Add(nxt, 80, Bytes(80, 40)));  // [80,100) trimmed
        var got = Take(r, ref nxt);
        Assert.Equal(Bytes(100, 20), got.Data);
        Assert.Equal(new SeqNum(120), nxt);
    }

    [Fact]
    public void Held_bytes_passed_by_in_order_delivery_are_dropped_or_trimmed_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 0;
        r.Add(nxt, 10, Bytes(10, 10));
        r.Add(nxt, 30, Bytes(30, 10));
        nxt = 35; // the caller received [0,35) in order
        var got = Take(r, ref nxt);
        Assert.Equal(Bytes(35, 5), got.Data);
        Assert.Equal(new SeqNum(40), nxt);
        Assert.Equal(0, r.BufferedBytes);
    }

    [Fact]
    public void Exact_duplicate_adds_nothing_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        Assert.Equal(10, r.Add(0, 10, Bytes(10, 10)));
        Assert.Equal(0, r.Add(0, 10, Fill(0xEE, 10)));
        Assert.Equal(10, r.BufferedBytes);
        SeqNum nxt = 10;
        Assert.Equal(Bytes(10, 10), Take(r, ref nxt).Data);
    }

    [Fact]
    public void Overlap_on_the_left_keeps_the_first_copy_and_adds_the_rest_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 20, Fill(1, 10));                  // [20,30)
        Assert.Equal(5, r.Add(0, 15, Fill(2, 10))); // [15,25): only [15,20) is new
        SeqNum nxt = 15;
        Assert.Equal([.. Fill(2, 5), .. Fill(1, 10)], Take(r, ref nxt).Data);
    }

    [Fact]
    public void Overlap_on_the_right_keeps_the_first_copy_and_adds_the_rest_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 20, Fill(1, 10));                  // [20,30)
        Assert.Equal(5, r.Add(0, 25, Fill(2, 10))); // [25,35): only [30,35) is new
        SeqNum nxt = 20;
        Assert.Equal([.. Fill(1, 10), .. Fill(2, 5)], Take(r, ref nxt).Data);
        Assert.Equal(new SeqNum(35), nxt);
    }

    [Fact]
    public void Arrival_inside_held_data_adds_nothing_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 20, Fill(1, 20));
        Assert.Equal(0, r.Add(0, 25, Fill(2, 5)));
        SeqNum nxt = 20;
        Assert.Equal(Fill(1, 20), Take(r, ref nxt).Data);
    }

    [Fact]
    public void Arrival_covering_several_held_ranges_fills_only_the_gaps_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 20, Fill(1, 5));  // [20,25)
        r.Add(0, 30, Fill(3, 5));  // [30,35)
        Assert.Equal(2, r.SegmentCount);
        Assert.Equal(10 + 5 + 5, r.Add(0, 10, Fill(2, 30))); // [10,40)
        Assert.Equal(1, r.SegmentCount);
        Assert.Equal(30, r.BufferedBytes);
        SeqNum nxt = 10;
        Assert.Equal([.. Fill(2, 10), .. Fill(1, 5), .. Fill(2, 5), .. Fill(3, 5), .. Fill(2, 5)], Take(r, ref nxt).Data);
    }

    [Fact]
    public void Adjacent_ranges_count_as_one_range_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 10, Bytes(10, 10));
        r.Add(0, 20, Bytes(20, 10));
        Assert.Equal(1, r.SegmentCount);
        Assert.Equal([new SackBlock(10, 30)], Sack(r));
    }

    [Fact]
    public void Sequence_space_wraps_around_2_32_RFC9293_3_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 0xFFFFFFF0;
        Assert.Equal(20, r.Add(nxt, 0xFFFFFFF8, Bytes(8, 20)));  // crosses the wrap
        Assert.Equal(10, r.Add(nxt, 0x0000000C, Bytes(28, 10))); // beyond the wrap, adjacent
        Assert.Equal(1, r.SegmentCount);
        Assert.Equal([new SackBlock(0xFFFFFFF8, 0x16)], Sack(r));
        Assert.Equal(8, r.Add(nxt, 0xFFFFFFF0, Bytes(0, 8)));
        var got = Take(r, ref nxt);
        Assert.Equal(Bytes(0, 38), got.Data);
        Assert.Equal(new SeqNum(0x16), nxt);
    }

    [Fact]
    public void Arrival_over_capacity_is_refused_not_held()
    {
        var r = new Reassembler(100);
        Assert.Equal(80, r.Add(0, 10, Bytes(0, 80)));
        Assert.Equal(0, r.Add(0, 200, Bytes(0, 30)));
        Assert.Equal(80, r.BufferedBytes);
        Assert.Equal(1, r.SegmentCount);
        Assert.Equal(20, r.Add(0, 200, Bytes(0, 20))); // exactly fills the capacity
        Assert.Equal(100, r.BufferedBytes);
        Assert.Equal(0, r.Add(0, 300, Bytes(0, 1)));
        // A duplicate is not counted against the capacity.
        Assert.Equal(0, r.Add(0, 10, Bytes(0, 80)));
        // Once delivered, room is available again.
        SeqNum nxt = 10;
        Take(r, ref nxt);
        Assert.Equal(20, r.BufferedBytes);
        Assert.Equal(1, r.Add(nxt, 300, Bytes(0, 1)));
    }

    [Fact]
    public void Overlapping_arrival_counts_only_its_new_bytes_against_capacity()
    {
        var r = new Reassembler(30);
        r.Add(0, 10, Bytes(0, 20));                  // [10,30)
        Assert.Equal(10, r.Add(0, 5, Bytes(0, 30))); // [5,35): 5 + 5 new
        Assert.Equal(0, r.Add(0, 35, Bytes(0, 1)));  // full
        Assert.Equal(30, r.BufferedBytes);
    }

    [Fact]
    public void FIN_after_out_of_order_data_is_reached_once_the_data_is_delivered_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 0;
        r.Add(nxt, 10, Bytes(10, 10));
        r.AddFin(20);
        var early = Take(r, ref nxt);
        Assert.False(early.Fin);
        nxt = 10;
        var got = Take(r, ref nxt);
        Assert.Equal(10, got.Moved);
        Assert.True(got.Fin);
        Assert.Equal(new SeqNum(20), nxt); // not advanced for the FIN
    }

    [Fact]
    public void FIN_arriving_before_its_data_waits_for_the_data_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 0;
        r.AddFin(30);
        Assert.Equal(new SeqNum(30), r.FinSeq);
        r.Add(nxt, 20, Bytes(20, 10));
        Assert.False(Take(r, ref nxt).Fin);
        r.Add(nxt, 0, Bytes(0, 20));
        var got = Take(r, ref nxt);
        Assert.Equal(Bytes(0, 30), got.Data);
        Assert.True(got.Fin);
    }

    [Fact]
    public void FIN_at_RCV_NXT_with_no_data_is_reached_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        SeqNum nxt = 50;
        r.AddFin(50);
        var got = Take(r, ref nxt);
        Assert.Equal(0, got.Moved);
        Assert.True(got.Fin);
    }

    [Fact]
    public void Data_at_or_after_the_FIN_is_not_held_RFC9293_3_10_7_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 30, Bytes(30, 20));  // [30,50)
        r.AddFin(40);                 // [40,50) cannot exist
        Assert.Equal(10, r.BufferedBytes);
        Assert.Equal(5, r.Add(0, 25, Bytes(25, 30))); // only [25,30) is new; [40,55) dropped
        Assert.Equal([new SackBlock(25, 40)], Sack(r));
    }

    [Fact]
    public void SACK_blocks_list_the_most_recently_added_range_first_RFC2018_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 100, Bytes(0, 10)); // A [100,110)
        r.Add(0, 300, Bytes(0, 10)); // B [300,310)
        r.Add(0, 200, Bytes(0, 10)); // C [200,210)
        Assert.Equal([new SackBlock(200, 210), new SackBlock(300, 310), new SackBlock(100, 110)], Sack(r));
        r.Add(0, 110, Bytes(0, 5)); // extends A
        Assert.Equal([new SackBlock(100, 115), new SackBlock(200, 210), new SackBlock(300, 310)], Sack(r));
    }

    [Fact]
    public void SACK_block_of_a_repeated_segment_moves_to_the_front_RFC2018_4()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 100, Bytes(0, 10));
        r.Add(0, 200, Bytes(0, 10));
        r.Add(0, 102, Bytes(0, 4)); // duplicate inside the first block
        Assert.Equal([new SackBlock(100, 110), new SackBlock(200, 210)], Sack(r));
    }

    [Fact]
    public void SACK_blocks_are_limited_to_the_destination_length_keeping_the_newest_RFC2018_4()
    {
        var r = new Reassembler(10_000);
        for (int i = 0; i < 6; i++)
            r.Add(0, (uint)(100 + 20 * i), Bytes(0, 10));
        Assert.Equal([new SackBlock(200, 210), new SackBlock(180, 190), new SackBlock(160, 170)], Sack(r, 3));
        Assert.Empty(Sack(r, 0));
        Assert.Equal(6, r.SegmentCount);
    }

    [Fact]
    public void Clear_drops_all_data_and_the_FIN()
    {
        var r = new Reassembler(10_000);
        r.Add(0, 10, Bytes(0, 10));
        r.AddFin(20);
        r.Clear();
        Assert.Equal(0, r.BufferedBytes);
        Assert.Equal(0, r.SegmentCount);
        Assert.Null(r.FinSeq);
        SeqNum nxt = 10;
        var got = Take(r, ref nxt);
        Assert.Equal(0, got.Moved);
        Assert.False(got.Fin);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(2024)]
    public void Random_arrival_order_with_duplicates_and_resegmentation_reproduces_the_stream_RFC9293_3_10_7_4(int seed)
    {
        var rng = new Random(seed);
        var stream = new byte[20_000];
        rng.NextBytes(stream);
        SeqNum isn = (uint)(0xFFFFFFFFL - rng.Next(10_000)); // the stream crosses the 2^32 wrap

        // Several independent segmentations of the stream, plus random overlapping slices, in random order.
        var segments = new List<(int Off, int Len)>();
        for (int pass = 0; pass < 2; pass++)
            for (int off = 0; off < stream.Length;)
            {
                int len = Math.Min(rng.Next(1, 1500), stream.Length - off);
                segments.Add((off, len));
                off += len;
            }
        for (int i = 0; i < 200; i++)
        {
            int off = rng.Next(stream.Length);
            segments.Add((off, rng.Next(1, Math.Min(3000, stream.Length - off) + 1)));
        }
        var order = segments.OrderBy(_ => rng.Next()).ToList();

        var r = new Reassembler(stream.Length);
        var output = new ArrayBufferWriter<byte>();
        SeqNum nxt = isn;
        bool finSeen = false;
        int finAt = rng.Next(order.Count);
        for (int i = 0; i < order.Count; i++)
        {
            if (i == finAt)
                r.AddFin(isn + stream.Length);
            var (off, len) = order[i];
            SeqNum seq = isn + off;
            var data = stream.AsSpan(off, len);
            // Half the time the caller delivers in-order data itself, as the receive path would.
            if (seq <= nxt && seq + len > nxt && rng.Next(2) == 0)
            {
                int skip = nxt - seq;
                output.Write(data[skip..]);
                nxt += len - skip;
            }
            else
            {
                r.Add(nxt, seq, data);
            }
            r.TakeContiguous(ref nxt, output, out bool fin);
            finSeen |= fin;
            Assert.True(r.BufferedBytes <= stream.Length);
        }
        Assert.Equal(stream, output.WrittenSpan.ToArray());
        Assert.Equal(isn + stream.Length, nxt);
        Assert.Equal(0, r.BufferedBytes);
        Assert.True(finSeen);
    }
}
