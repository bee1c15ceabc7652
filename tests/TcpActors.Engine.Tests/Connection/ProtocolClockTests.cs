using TcpActors.Engine.Tests.Support;
using TcpActors.Engine.Time;
using TcpActors.Engine.Wire;

namespace TcpActors.Engine.Tests.Connection;

/// <summary>
/// The connection reads the protocol clock once per message it handles (as Linux refreshes tcp_mstamp once per
/// packet): RTT timing, the timestamp option, the delayed-ACK and retransmission deadlines all use that one reading.
/// </summary>
public class ProtocolClockTests : TimingTestKit
{
    private sealed class CountingClock(IClock inner) : IClock
    {
        public int Reads;

        public TimeSpan Now
        {
            get
            {
                Reads++;
                return inner.Now;
            }
        }
    }

    [Fact]
    public void A_data_segment_and_the_echo_it_causes_read_the_clock_once_per_message()
    {
        var clock = new CountingClock(new SchedulerClock(Sys.Scheduler));
        var s = new ProbeStack(this, Origin, clock: clock);
        var c = PassiveOpen(s);
        AdvanceTo(S(1));

        int before = clock.Reads;
        c.FromPeer(TcpFlags.Ack | TcpFlags.Psh, 1001, c.Iss + 1, data: "abc"u8.ToArray());
        var ack = s.Next();
        Assert.Equal(S(1), ack.At);
        Assert.Equal(1004u, ack.Ack);
        // One message (the segment: sequence checks, PAWS, RTT, the ACK with its timestamp, the timers) and one reading.
        Assert.Equal(1, clock.Reads - before);
    }
}
