import type { PaymentBook, Owner } from "./book.js";
import { errorText } from "../errors.js";
import { log } from "../log.js";
import type { LedgerEntry, NewLedgerEntry } from "./entry.js";
import type { PauseState } from "./pause.js";

/**
 * Where payment events are kept and shared: a JSONL file for the processes of one machine
 * (ledger.ts), or PostgreSQL for replicas on several. Both fold the same events into the same
 * PaymentBook, so the money rules (budgets, reconcile, reports) do not know which store they use.
 */
export interface LedgerStore {
  /** This server process: what "this session" means in budgets and reports. */
  readonly session: string;
  /** Where the events live, for people: a file path, or a database URL without its password. */
  readonly location: string;
  /** Every payment of the owning wallet, as of the last refresh (no I/O). */
  readonly book: PaymentBook;
  /** Events that could not be read (a torn line, an edit): reported, never silently dropped. */
  readonly unreadableLines: number;
  /** Counts only this wallet's payments on this network from now on (others may share the store). */
  ownedBy(owner: Owner): void;
  /** Reads what any process wrote since the last refresh into the book. */
  refresh(): Promise<PaymentBook>;
  /** Records one event; its own book counts it at once. */
  append(entry: NewLedgerEntry): Promise<void>;
  /**
   * Records an event that carries no money (an offer the policy accepted): it may wait for this
   * process's next event and be written with it (in order, before it), which saves the paid call
   * a write of its own. Observers are told at once.
   */
  note(entry: NewLedgerEntry): Promise<void>;
  /**
   * The one step that commits money: atomically for every process sharing the store, refreshes,
   * refuses when payments are paused or `check` finds a reason on the fresh book, and otherwise
   * records the "signed" `entry` durably. Resolves to the refusal, or undefined once the entry is
   * durable (only then may its signature leave the process).
   */
  reserve(entry: NewLedgerEntry & { event: "signed" }, check: (book: PaymentBook) => string | undefined): Promise<string | undefined>;
  /** Adds an observer of the entries this process writes (once written); returns its removal. */
  observe(observer: LedgerObserver): () => void;
  /** The kill switch that every process sharing this store reads before each payment. */
  pauseState(): Promise<PauseState>;
  /** Sets the kill switch (the `pause` subcommand: a person at a shell, never a tool). */
  pause(reason: string): Promise<Extract<PauseState, { paused: true }>>;
  /** Lifts it (the `resume` subcommand). */
  resume(): Promise<void>;
  /** Every event kept, in the order written, whoever's it is (for `ledger export`). */
  events(): AsyncIterable<LedgerEntry>;
  close(): Promise<void>;
}

/** Told of each entry this process writes, once it is written (metrics, the low-balance check). */
export type LedgerObserver = (entry: LedgerEntry) => void;

/** The observers of one store. An observer's failure is logged, never turned into a failed payment. */
export class LedgerObservers {
  private readonly observers = new Set<LedgerObserver>();

  add(observer: LedgerObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  notify(entry: LedgerEntry): void {
    for (const observer of this.observers) {
      try {
        observer(entry);
      } catch (error) {
        log.error(`a ledger observer failed: ${errorText(error)}`);
      }
    }
  }
}
