// Opening a session: the rollout files — the resumed one or a new one, and one per sub-agent,
// naming its parent as upstream's do — and the listeners that turn agent events into their lines.
import { type AgentEvent, type ChildRecordStart, rolloutListener } from "../../agent/mod.ts";
import type { Config } from "../../config/mod.ts";
import {
  type CreatedSession,
  createSession,
  type CreateSessionOptions,
  gitInfoOf,
  type OpenedSession,
  openSession,
  rolloutDamage,
  type RolloutRecorder,
  type TokenInfo,
  type TurnSettings,
} from "../../session/mod.ts";
import type { GitFacts } from "../../system/mod.ts";
import { debugLog } from "../debug_log.ts";
import { VERSION } from "../version.ts";
import type { AgentSessionOptions } from "./options.ts";

/**
 * The recorded session `options.resume` names, read before anything is written. Damage found
 * in its rollout (corrupted lines, a last line a crash cut short) is reported, not skipped
 * silently.
 */
export async function readResumedSession(
  options: AgentSessionOptions,
  config: Config,
): Promise<OpenedSession | undefined> {
  if (!options.resume) return undefined;
  const resumed = await openSession(config.home, options.resume);
  const damage = rolloutDamage(resumed.path, resumed.parsed);
  if (damage) options.notice(`tscodex: warning: ${damage}`);
  return resumed;
}

export interface RolloutsOptions {
  options: AgentSessionOptions;
  config: Config;
  resumed: OpenedSession | undefined;
  baseInstructions: string;
  git: Promise<GitFacts | undefined>;
  /** The usable context window, recorded with every token count. */
  contextWindow: number;
}

type StartRollout = (
  extra:
    & Pick<CreateSessionOptions, "sessionId" | "source" | "agentNickname" | "ephemeral">
    & Partial<Pick<CreateSessionOptions, "baseInstructions">>,
) => Promise<CreatedSession>;

export class SessionRollouts {
  readonly #children: RolloutRecorder[] = [];
  readonly sessionId: string;
  /** The main thread's rollout file ("" when ephemeral). */
  readonly path: string;
  readonly recorder: RolloutRecorder;

  private constructor(
    main: CreatedSession,
    readonly resumed: OpenedSession | undefined,
    private readonly start: StartRollout,
    private readonly contextWindow: number,
  ) {
    this.sessionId = main.sessionId;
    this.path = main.path;
    this.recorder = main.recorder;
  }

  static async open(o: RolloutsOptions): Promise<SessionRollouts> {
    const { options, config } = o;
    const start: StartRollout = async (extra) =>
      createSession({
        codexHome: config.home,
        cwd: options.cwd,
        originator: options.originator,
        cliVersion: VERSION,
        modelProvider: config.provider.id,
        baseInstructions: o.baseInstructions,
        git: gitInfoOf(await o.git) ?? null,
        ...extra,
      });
    const main = o.resumed ??
      await start({ source: options.source, ephemeral: options.ephemeral });
    return new SessionRollouts(main, o.resumed, start, o.contextWindow);
  }

  /** Records the main thread's events; a resumed session's token totals carry on. */
  listener(settings: () => TurnSettings): (event: AgentEvent) => void {
    return this.#listener(this.recorder, settings, this.resumed?.tokenInfo);
  }

  /** Starts a sub-agent's rollout and returns the listener that records its events. */
  async child(
    child: ChildRecordStart,
    settings: () => TurnSettings,
  ): Promise<(event: AgentEvent) => void> {
    const created = await this.start({
      sessionId: child.id,
      source: {
        subagent: {
          thread_spawn: {
            parent_thread_id: child.parentId,
            depth: 1,
            agent_nickname: child.nickname,
            agent_role: null,
          },
        },
      },
      agentNickname: child.nickname,
      // A helper has fewer tools than its parent, and instructions that say so.
      baseInstructions: child.baseInstructions,
    });
    this.#children.push(created.recorder);
    const record = this.#listener(created.recorder, settings);
    const debug = debugLog();
    if (!debug) return record;
    return (event) => {
      debug.onAgentEvent(event, child.nickname);
      record(event);
    };
  }

  /** Closes every rollout, even when one fails; throws the first failure not yet reported. */
  close(): void {
    let failure: unknown;
    for (const recorder of [this.recorder, ...this.#children]) {
      try {
        recorder.close();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
  }

  #listener(
    recorder: RolloutRecorder,
    settings: () => TurnSettings,
    tokenInfo?: TokenInfo | null,
  ): (event: AgentEvent) => void {
    return rolloutListener({
      recorder,
      modelContextWindow: this.contextWindow,
      tokenInfo,
      turnSettings: settings,
    });
  }
}
