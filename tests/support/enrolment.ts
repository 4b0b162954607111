/**
 * Enrolling devices on a running hub process the way a supervisor does it: through the API.
 */

/** One-time enrolment codes, issued through the hub's API as the demo supervisor would. */
export async function issueEnrolmentCodes(baseUrl: string, count: number): Promise<string[]> {
  const signIn = await fetch(`${baseUrl}/api/auth/supervisor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'grace', password: 'gridtally-demo' }),
  });
  const { token } = (await signIn.json()) as { token: string };
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const issued = await fetch(`${baseUrl}/api/devices/enrolment-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    if (issued.status !== 201) throw new Error(`no enrolment code: ${issued.status}`);
    codes.push(((await issued.json()) as { code: string }).code);
  }
  return codes;
}
