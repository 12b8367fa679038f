// The lines that say kubelite (re)started: its own "Starting kubelite", and systemd's "Started
// Service for snap application microk8s.daemon-kubelite" (with or without the final dot, as
// systemd versions differ). A restart this recent has not settled yet.

/** The journal --grep alternatives that find them (matched case-insensitively, as every --grep of the scan). */
export const KUBELITE_START_GREP = 'starting kubelite|started service for snap application microk8s.daemon-kubelite';

const STARTS = /^Starting kubelite$|^Started Service for snap application microk8s\.daemon-kubelite\.?$/;

/** Whether a log message is one of them. */
export const isKubeliteStart = (message: string): boolean => STARTS.test(message.trim());
