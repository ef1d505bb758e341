/**
 * The bus between interrupt sources (I/O APICs, a local APIC sending an IPI) and local APICs: interrupt
 * messages travel one way, EOI messages the other. On P6 this was a dedicated three-wire APIC bus; from the
 * Pentium 4 on the same messages ride the system bus. Either way the observable protocol is the one here:
 *
 * - an interrupt message carries a vector, a delivery mode, a destination mode (physical or logical), an
 *   8-bit destination and a trigger mode; every local APIC the destination addresses takes it (fixed
 *   delivery), or the one with the lowest arbitration priority does (lowest-priority delivery);
 * - a local APIC that completes a level-triggered interrupt (EOI with its TMR bit set) broadcasts the
 *   vector, so every I/O APIC can clear Remote IRR on the redirection entries that use it;
 * - when a local APIC becomes software-enabled, sources retry interrupts nobody accepted, as the serial
 *   APIC bus retried a message until a local APIC took it.
 *
 * Delivery is instantaneous: a message is accepted or refused during `send`, so there is never an
 * interrupt "in flight". Only fixed and lowest-priority messages are carried; SMI, NMI, INIT, start-up and
 * ExtINT messages have no receiver in this machine (the CPU model has no NMI/SMI/INIT inputs and there is
 * no 8259 to answer an ExtINT acknowledge), so `send` refuses them.
 */

/** Delivery modes, as encoded in bits 10:8 of redirection entries, LVT entries and the ICR. */
export const DeliveryMode = {
  Fixed: 0,
  LowestPriority: 1,
  Smi: 2,
  Nmi: 4,
  Init: 5,
  StartUp: 6,
  ExtInt: 7,
} as const;

/** One interrupt message as it appears on the bus. */
export interface InterruptMessage {
  /** 0..255; vectors 0..15 are illegal and a receiving local APIC reports them in its ESR. */
  readonly vector: number;
  /** A `DeliveryMode` value. */
  readonly deliveryMode: number;
  /** Destination mode: false = physical (APIC ID), true = logical (LDR/DFR). */
  readonly logical: boolean;
  /** 8-bit destination: an APIC ID (0xFF = all) or a logical destination set. */
  readonly destination: number;
  /** Trigger mode: a level-triggered interrupt sets the receiver's TMR bit and needs an EOI broadcast. */
  readonly levelTriggered: boolean;
}

/** What a local APIC presents to the bus. */
export interface ApicBusAgent {
  /** Whether a message with this destination mode and destination addresses this local APIC. */
  isAddressedBy(logical: boolean, destination: number): boolean;
  /** Whether it takes fixed and lowest-priority interrupts now (it does only while software-enabled). */
  acceptsInterrupts(): boolean;
  /** Arbitration priority (the APR register): the lowest wins lowest-priority delivery. */
  arbitrationPriority(): number;
  /** Takes an interrupt into IRR; false when it refused it (disabled, or an illegal vector). */
  acceptInterrupt(vector: number, levelTriggered: boolean): boolean;
}

/** What an interrupt source that waits for EOIs (an I/O APIC) presents to the bus. */
export interface ApicBusSource {
  /** A local APIC completed level-triggered interrupt `vector`. */
  eoi(vector: number): void;
  /** A local APIC became ready: send again whatever no one accepted. */
  resend(): void;
}

export class ApicBus {
  private readonly agents: ApicBusAgent[] = [];
  private readonly sources: ApicBusSource[] = [];

  /** Connects a local APIC. Attach order breaks ties in lowest-priority arbitration (first wins). */
  attachLocalApic(agent: ApicBusAgent): void {
    if (!this.agents.includes(agent)) this.agents.push(agent);
  }

  /** Connects an interrupt source that listens for EOI broadcasts and retry requests. */
  attachSource(source: ApicBusSource): void {
    if (!this.sources.includes(source)) this.sources.push(source);
  }

  /** Delivers `message` to the local APICs its destination addresses; true when at least one accepted it. */
  send(message: InterruptMessage): boolean {
    return this.dispatch(
      message,
      this.agents.filter((a) => a.isAddressedBy(message.logical, message.destination)),
    );
  }

  /** Delivers `message` to every local APIC except `except` (the IPI shorthands "all" and "all but self"). */
  sendToAll(message: InterruptMessage, except: ApicBusAgent | null): boolean {
    return this.dispatch(
      message,
      this.agents.filter((a) => a !== except),
    );
  }

  /** Tells every source that level-triggered interrupt `vector` was completed. */
  broadcastEoi(vector: number): void {
    for (const s of this.sources) s.eoi(vector);
  }

  /** Asks every source to resend what was refused (a local APIC was just software-enabled). */
  requestResend(): void {
    for (const s of this.sources) s.resend();
  }

  private dispatch(message: InterruptMessage, candidates: ApicBusAgent[]): boolean {
    if (message.deliveryMode === DeliveryMode.Fixed) {
      let accepted = false;
      for (const agent of candidates) {
        if (agent.acceptInterrupt(message.vector, message.levelTriggered)) accepted = true;
      }
      return accepted;
    }
    if (message.deliveryMode === DeliveryMode.LowestPriority) {
      let winner: ApicBusAgent | null = null;
      for (const agent of candidates) {
        if (!agent.acceptsInterrupts()) continue;
        if (winner === null || agent.arbitrationPriority() < winner.arbitrationPriority()) winner = agent;
      }
      return winner?.acceptInterrupt(message.vector, message.levelTriggered) === true;
    }
    return false;
  }
}
